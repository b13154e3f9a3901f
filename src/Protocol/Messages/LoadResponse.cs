using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The outcome of a load: an error, or the memory the fresh instance uses.</summary>
[DataContract]
public sealed class LoadResponse
{
    /// <summary>Gets or sets the error, or <see langword="null"/> on success.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("error")]
    public WorkerError? Error { get; set; }

    /// <summary>Gets or sets the linear memory of the instance after instantiation and <c>soch_init</c>, in bytes.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("memoryBytes")]
    public long MemoryBytes { get; set; }

    /// <summary>Gets or sets the fuel <c>soch_init</c> consumed (0 when the module has none).</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("initFuelConsumed")]
    public long InitFuelConsumed { get; set; }
}

using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>An error the worker reports as a value, with the details its kind carries.</summary>
[DataContract]
public sealed class WorkerError
{
    /// <summary>Gets or sets the stable error kind.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("kind")]
    public ErrorKind Kind { get; set; }

    /// <summary>Gets or sets a message naming what went wrong.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("message")]
    public string Message { get; set; } = string.Empty;

    /// <summary>Gets or sets the Wasmtime trap code, for <see cref="ErrorKind.Trap"/>.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("trapCode")]
    public string? TrapCode { get; set; }

    /// <summary>Gets or sets the fuel consumed before the error.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("fuelConsumed")]
    public long FuelConsumed { get; set; }

    /// <summary>Gets or sets the time spent before the error, in milliseconds.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("elapsedMs")]
    public double ElapsedMs { get; set; }

    /// <summary>Gets or sets the memory in use or asked for, for <see cref="ErrorKind.MemoryLimitExceeded"/>.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("usedBytes")]
    public long UsedBytes { get; set; }

    /// <summary>Gets or sets the memory limit, for <see cref="ErrorKind.MemoryLimitExceeded"/>.</summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("limitBytes")]
    public long LimitBytes { get; set; }
}

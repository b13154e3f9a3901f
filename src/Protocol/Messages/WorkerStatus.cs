using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>A snapshot of the worker's state.</summary>
[DataContract]
public sealed class WorkerStatus
{
    /// <summary>Gets or sets a value indicating whether a plugin is loaded.</summary>
    [DataMember(Name = "loaded")]
    [JsonPropertyName("loaded")]
    public bool Loaded { get; set; }

    /// <summary>Gets or sets the instance's linear memory in bytes.</summary>
    [DataMember(Name = "memoryBytes")]
    [JsonPropertyName("memoryBytes")]
    public long MemoryBytes { get; set; }

    /// <summary>Gets or sets the largest linear memory seen, in bytes.</summary>
    [DataMember(Name = "peakMemoryBytes")]
    [JsonPropertyName("peakMemoryBytes")]
    public long PeakMemoryBytes { get; set; }

    /// <summary>Gets or sets how many times the module was instantiated (1 + replacements after traps).</summary>
    [DataMember(Name = "instantiations")]
    [JsonPropertyName("instantiations")]
    public long Instantiations { get; set; }

    /// <summary>Gets or sets the worker process's resident memory in bytes.</summary>
    [DataMember(Name = "workingSetBytes")]
    [JsonPropertyName("workingSetBytes")]
    public long WorkingSetBytes { get; set; }
}

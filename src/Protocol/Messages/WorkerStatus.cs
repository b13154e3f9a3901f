using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>A snapshot of the worker's state.</summary>
[DataContract]
public sealed class WorkerStatus
{
    /// <summary>Gets or sets a value indicating whether a plugin is loaded.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("loaded")]
    public bool Loaded { get; set; }

    /// <summary>Gets or sets the linear memory of all instances in bytes, each as of the end of its last call.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("memoryBytes")]
    public long MemoryBytes { get; set; }

    /// <summary>
    /// Gets or sets the sum over instances of the largest linear memory each has seen, in bytes: instances coexist, so
    /// the sum bounds what the worker held at once (it may overstate it when the peaks did not coincide).
    /// </summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("peakMemoryBytes")]
    public long PeakMemoryBytes { get; set; }

    /// <summary>Gets or sets how many times the module was instantiated, over all instances (first instantiations and replacements after traps).</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("instantiations")]
    public long Instantiations { get; set; }

    /// <summary>Gets or sets how many instances exist (at most the load's <c>MaxInstances</c>; more are made only when calls overlap).</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("instances")]
    public int Instances { get; set; }

    /// <summary>Gets or sets the worker process's resident memory in bytes.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("workingSetBytes")]
    public long WorkingSetBytes { get; set; }
}

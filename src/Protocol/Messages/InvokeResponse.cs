using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The outcome of a call: results or an error, and what the call consumed either way.</summary>
[DataContract]
public sealed class InvokeResponse
{
    /// <summary>Gets or sets the error, or <see langword="null"/> on success.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("error")]
    public WorkerError? Error { get; set; }

    /// <summary>Gets or sets the results (empty on error).</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("results")]
    public WireValue[] Results { get; set; } = [];

    /// <summary>Gets or sets the fuel the call consumed.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("fuelConsumed")]
    public long FuelConsumed { get; set; }

    /// <summary>Gets or sets the time spent in the guest, in microseconds.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("durationUs")]
    public long DurationUs { get; set; }

    /// <summary>Gets or sets the instance's linear memory after the call, in bytes.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("memoryBytes")]
    public long MemoryBytes { get; set; }

    /// <summary>Gets or sets the largest linear memory the worker has seen for this plugin, in bytes.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("peakMemoryBytes")]
    public long PeakMemoryBytes { get; set; }

    /// <summary>Gets or sets a value indicating whether the call trapped and the instance was replaced.</summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("reinstantiated")]
    public bool Reinstantiated { get; set; }

    /// <summary>Gets or sets how many host functions the guest called during the call.</summary>
    [DataMember(Order = 7)]
    [JsonPropertyName("hostCalls")]
    public long HostCalls { get; set; }

    /// <summary>Gets or sets how many of those host calls failed (bad pointers, bad arguments).</summary>
    [DataMember(Order = 8)]
    [JsonPropertyName("hostCallErrors")]
    public long HostCallErrors { get; set; }
}

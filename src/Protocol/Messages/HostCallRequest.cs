using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>A host function call the guest made, forwarded by the worker to the supervisor, which alone decides and executes it.</summary>
[DataContract]
public sealed class HostCallRequest
{
    /// <summary>Gets or sets the plugin call this host call belongs to (the supervisor rejects any other).</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("callId")]
    public long CallId { get; set; }

    /// <summary>Gets or sets the host function's import name.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("function")]
    public string Function { get; set; } = string.Empty;

    /// <summary>Gets or sets the table, index, config key or callee plugin id.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("target")]
    public string? Target { get; set; }

    /// <summary>Gets or sets the metric name, or the callee function for <c>call_plugin</c>.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>Gets or sets the row id (read, write, delete) or start row (scan).</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("rowId")]
    public long RowId { get; set; }

    /// <summary>Gets or sets the scan limit, the top-k, the log level or the metric kind.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("count")]
    public int Count { get; set; }

    /// <summary>Gets or sets the metric value.</summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("value")]
    public double Value { get; set; }

    /// <summary>Gets or sets the row bytes, the log message or the call input.</summary>
    [DataMember(Order = 7)]
    [JsonPropertyName("data")]
    public byte[]? Data { get; set; }

    /// <summary>Gets or sets the query vector.</summary>
    [DataMember(Order = 8)]
    [JsonPropertyName("vector")]
    public float[]? Vector { get; set; }

    /// <summary>Gets or sets a status the worker already decided (non-zero when it rejected the guest's arguments itself); the supervisor only audits such a call.</summary>
    [DataMember(Order = 9)]
    [JsonPropertyName("workerStatus")]
    public int WorkerStatus { get; set; }

    /// <summary>
    /// Gets or sets the <c>traceparent</c> of the call this host call belongs to, echoed from
    /// <see cref="InvokeRequest.TraceParent"/> (or <see cref="InvokeBatchRequest.TraceParent"/>). Untrusted: the
    /// supervisor uses it only when it names the call's own trace.
    /// </summary>
    [DataMember(Order = 10)]
    [JsonPropertyName("traceParent")]
    public string? TraceParent { get; set; }
}

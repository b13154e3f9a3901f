using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>Asks the worker to call one export.</summary>
[DataContract]
public sealed class InvokeRequest
{
    /// <summary>Gets or sets the supervisor's id for this call, for logs and audit records.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("callId")]
    public long CallId { get; set; }

    /// <summary>Gets or sets the export to call.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("function")]
    public string Function { get; set; } = string.Empty;

    /// <summary>Gets or sets the arguments.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("args")]
    public WireValue[] Args { get; set; } = [];

    /// <summary>Gets or sets the fuel the call may consume.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("fuel")]
    public long Fuel { get; set; }

    /// <summary>Gets or sets the call's wall-clock budget in milliseconds.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("timeoutMs")]
    public long TimeoutMs { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a single <c>i64</c> result is "a status or a buffer" (table hooks): a
    /// positive value is a packed <c>(ptr &lt;&lt; 32) | len</c> the worker copies out and returns as <c>bytes</c>; zero
    /// or a negative value comes back as the <c>i64</c>.
    /// </summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("statusOrBuffer")]
    public bool StatusOrBuffer { get; set; }

    /// <summary>
    /// Gets or sets the W3C <c>traceparent</c> of the supervisor's span for this call, or <see langword="null"/> when
    /// it is not traced. The worker echoes it in the call's host calls.
    /// </summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("traceParent")]
    public string? TraceParent { get; set; }
}

using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// Asks the worker to call one export once per argument row, in order, in the same instance: the way a database calls
/// a function over a column. Each row is metered like a single <see cref="InvokeRequest"/>.
/// </summary>
[DataContract]
public sealed class InvokeBatchRequest
{
    /// <summary>Gets or sets the supervisor's id for the batch; every row's host calls carry it.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("callId")]
    public long CallId { get; set; }

    /// <summary>Gets or sets the export to call.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("function")]
    public string Function { get; set; } = string.Empty;

    /// <summary>Gets or sets the argument rows, one call each; empty when the rows travel in <see cref="Packed"/>.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("rows")]
    public WireValue[][] Rows { get; set; } = [];

    /// <summary>Gets or sets the fuel each row may consume (the per-call limit).</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("fuel")]
    public long Fuel { get; set; }

    /// <summary>
    /// Gets or sets the fuel the whole batch may consume (what is left of the plugin's lifetime budget). A row gets the
    /// smaller of <see cref="Fuel"/> and what is left of this; a row that finds it spent fails with
    /// <see cref="ErrorKind.FuelExhausted"/> without running.
    /// </summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("fuelBudget")]
    public long FuelBudget { get; set; }

    /// <summary>Gets or sets each row's wall-clock budget in milliseconds (the per-call timeout).</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("timeoutMs")]
    public long TimeoutMs { get; set; }

    /// <summary>
    /// Gets or sets the whole batch's wall-clock budget in milliseconds. A row gets the smaller of
    /// <see cref="TimeoutMs"/> and what is left of this; rows that find it spent fail with
    /// <see cref="ErrorKind.Timeout"/> without running, so the worker answers before the supervisor's deadline.
    /// </summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("batchTimeoutMs")]
    public long BatchTimeoutMs { get; set; }

    /// <summary>
    /// Gets or sets the W3C <c>traceparent</c> of the supervisor's span for this call, or <see langword="null"/> when
    /// it is not traced. The worker echoes it in the call's host calls.
    /// </summary>
    [DataMember(Order = 7)]
    [JsonPropertyName("traceParent")]
    public string? TraceParent { get; set; }

    /// <summary>
    /// Gets or sets the argument rows packed into one buffer, or <see langword="null"/> when they travel in
    /// <see cref="Rows"/>. The supervisor packs a batch whose rows all have the same numeric types; the worker then
    /// answers with <see cref="InvokeBatchResponse.Packed"/> when the export returns numbers only.
    /// </summary>
    [DataMember(Order = 8)]
    [JsonPropertyName("packed")]
    public PackedRows? Packed { get; set; }
}

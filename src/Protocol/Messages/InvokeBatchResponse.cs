using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The outcome of a batch: one <see cref="InvokeResponse"/> per row, in the request's order.</summary>
[DataContract]
public sealed class InvokeBatchResponse
{
    /// <summary>
    /// Gets or sets each row's results or error and what it consumed; when <see cref="Packed"/> is set, only the rows
    /// that failed, in the order of <see cref="PackedRowResults.FailedRows"/>.
    /// </summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("rows")]
    public InvokeResponse[] Rows { get; set; } = [];

    /// <summary>Gets or sets the fuel all rows consumed together.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("fuelConsumed")]
    public long FuelConsumed { get; set; }

    /// <summary>Gets or sets the instance's linear memory after the last row, in bytes.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("memoryBytes")]
    public long MemoryBytes { get; set; }

    /// <summary>Gets or sets the largest linear memory the worker has seen for this plugin, in bytes.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("peakMemoryBytes")]
    public long PeakMemoryBytes { get; set; }

    /// <summary>Gets or sets the rows' outcomes in columns (an answer to packed rows), or <see langword="null"/>.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("packed")]
    public PackedRowResults? Packed { get; set; }
}

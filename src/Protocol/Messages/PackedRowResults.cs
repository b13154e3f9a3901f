using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// A batch's outcome in columns, the answer to <see cref="PackedRows"/> when the export returns numbers only: each
/// succeeded row's results as raw bits (eight little-endian bytes each, see <see cref="PackedValues"/>) and each row's
/// figures in one array per figure. A row that failed keeps its full <see cref="InvokeResponse"/> in
/// <see cref="InvokeBatchResponse.Rows"/>, in the order of <see cref="FailedRows"/>; its slots here are zero.
/// </summary>
[DataContract]
public sealed class PackedRowResults
{
    /// <summary>Gets or sets the type of each result, all numeric.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("types")]
    public PluginValueType[] Types { get; set; } = [];

    /// <summary>Gets or sets the results: rows × <see cref="Types"/> × 8 bytes.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("values")]
    public byte[] Values { get; set; } = [];

    /// <summary>Gets or sets the fuel each row consumed.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("fuelConsumed")]
    public long[] FuelConsumed { get; set; } = [];

    /// <summary>Gets or sets the time each row spent in the guest, in microseconds.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("durationUs")]
    public long[] DurationUs { get; set; } = [];

    /// <summary>Gets or sets how many host functions each row called.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("hostCalls")]
    public long[] HostCalls { get; set; } = [];

    /// <summary>Gets or sets the largest linear memory seen as of the end of each row, in bytes.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("peakMemoryBytes")]
    public long[] PeakMemoryBytes { get; set; } = [];

    /// <summary>Gets or sets the indexes of the rows that failed, ascending; their outcomes are in <see cref="InvokeBatchResponse.Rows"/>.</summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("failedRows")]
    public int[] FailedRows { get; set; } = [];
}

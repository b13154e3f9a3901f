using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// A batch's argument rows packed into one buffer, for rows that all have the same numeric types: each value is its
/// raw bits (see <see cref="WireValue.Bits"/>) as eight little-endian bytes, row after row. One buffer instead of an
/// object per value keeps serialization off a batch row's cost (see <see cref="PackedValues"/>).
/// </summary>
[DataContract]
public sealed class PackedRows
{
    /// <summary>Gets or sets the type of each column: every row has these, all numeric.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("types")]
    public PluginValueType[] Types { get; set; } = [];

    /// <summary>Gets or sets how many rows there are (needed when a row has no values).</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("count")]
    public int Count { get; set; }

    /// <summary>Gets or sets the values: <see cref="Count"/> × <see cref="Types"/> × 8 bytes.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("values")]
    public byte[] Values { get; set; } = [];
}

using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// A value on the worker channel. Numbers travel as their raw bits in <see cref="Bits"/> so that every
/// <c>f32</c>/<c>f64</c> (NaN payloads included) round-trips exactly; buffers travel in <see cref="Bytes"/>.
/// </summary>
[DataContract]
public sealed class WireValue
{
    /// <summary>Gets or sets the value's type.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("type")]
    public PluginValueType Type { get; set; }

    /// <summary>Gets or sets the raw bits of a numeric value (an <c>i32</c> sign-extended, an <c>f32</c> in the low 32 bits).</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("bits")]
    public long Bits { get; set; }

    /// <summary>Gets or sets the payload of a <c>bytes</c> value, or the UTF-8 of a <c>string</c> value.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("bytes")]
    public byte[]? Bytes { get; set; }
}

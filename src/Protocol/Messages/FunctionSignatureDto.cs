using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>A typed export signature as it crosses the wire.</summary>
[DataContract]
public sealed class FunctionSignatureDto
{
    /// <summary>Gets or sets the export name.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("function")]
    public string Function { get; set; } = string.Empty;

    /// <summary>Gets or sets the parameter types.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("params")]
    public PluginValueType[] Params { get; set; } = [];

    /// <summary>Gets or sets the result types.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("returns")]
    public PluginValueType[] Returns { get; set; } = [];
}

using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The outcomes of an <see cref="InvokeManyRequest"/>: one per call, in the request's order.</summary>
[DataContract]
public sealed class InvokeManyResponse
{
    /// <summary>Gets or sets each call's outcome.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("results")]
    public InvokeResponse[] Results { get; set; } = [];
}

using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The supervisor's answer to a host call.</summary>
[DataContract]
public sealed class HostCallResponse
{
    /// <summary>Gets or sets the <see cref="HostStatus"/> code.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("status")]
    public int Status { get; set; }

    /// <summary>Gets or sets the bytes to hand to the guest (row, scan list, hits, config value, callee output).</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("data")]
    public byte[]? Data { get; set; }
}

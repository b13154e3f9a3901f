using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// Several independent calls in one message (call coalescing): the worker runs them one after another in one instance,
/// each with its own id, fuel and timeout. Every call's timeout counts from the moment the worker takes the message, so a
/// call that finds its time spent by the calls before it fails with <see cref="ErrorKind.Timeout"/> without running.
/// </summary>
[DataContract]
public sealed class InvokeManyRequest
{
    /// <summary>Gets or sets the calls, in the order they run.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("calls")]
    public InvokeRequest[] Calls { get; set; } = [];
}

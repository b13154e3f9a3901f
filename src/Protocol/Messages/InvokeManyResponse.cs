using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// The outcomes of an <see cref="InvokeManyRequest"/>: one per call that ran, in the request's order, then
/// <see cref="NotStarted"/> calls that did not run.
/// </summary>
[DataContract]
public sealed class InvokeManyResponse
{
    /// <summary>Gets or sets the outcomes of the calls that ran: the first <c>Calls.Length - NotStarted</c> calls.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("results")]
    public InvokeResponse[] Results { get; set; } = [];

    /// <summary>
    /// Gets or sets how many calls, at the end of the request, the worker did not start: the message had run as long as
    /// the first of them may run, so starting it could have taken the message past its deadline. Nothing of them ran;
    /// the supervisor sends them again. Never every call: the first call of a message always runs.
    /// </summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("notStarted")]
    public int NotStarted { get; set; }
}

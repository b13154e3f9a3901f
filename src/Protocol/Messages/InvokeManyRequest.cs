using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// Several independent calls in one message (call coalescing): the worker runs them one after another in one instance,
/// each with its own id, fuel and timeout, as if each had come alone: a call's timeout counts from its own start, not
/// from the message's. The worker starts a call only while the message has run for less than that call's timeout, so a
/// message ends within twice its longest timeout; the calls it did not start go back to the supervisor
/// (<see cref="InvokeManyResponse.NotStarted"/>), never fail for the time the calls before them took. The calls share
/// what is left of the plugin's lifetime fuel budget (<see cref="FuelBudget"/>).
/// </summary>
[DataContract]
public sealed class InvokeManyRequest
{
    /// <summary>Gets or sets the calls, in the order they run.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("calls")]
    public InvokeRequest[] Calls { get; set; } = [];

    /// <summary>
    /// Gets or sets the fuel all the calls may consume together (what is left of the plugin's lifetime budget). A call
    /// gets the smaller of its own fuel and what is left of this; a call that finds it spent fails with
    /// <see cref="ErrorKind.FuelExhausted"/> without running.
    /// </summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("fuelBudget")]
    public long FuelBudget { get; set; }
}

using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// Several independent calls in one message (call coalescing): the worker runs them one after another in one instance,
/// each with its own id, fuel and timeout. Every call's timeout counts from the moment the worker takes the message, so a
/// call that finds its time spent by the calls before it fails with <see cref="ErrorKind.Timeout"/> without running, and
/// the calls share what is left of the plugin's lifetime fuel budget (<see cref="FuelBudget"/>).
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

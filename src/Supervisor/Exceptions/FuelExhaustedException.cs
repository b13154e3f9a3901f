using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>A call ran out of fuel, or the plugin's lifetime fuel budget is spent (<see cref="ErrorKind.FuelExhausted"/>).</summary>
public sealed class FuelExhaustedException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="FuelExhaustedException"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="consumed">The fuel the call consumed before it stopped (0 when the budget was already empty).</param>
    /// <param name="message">What happened.</param>
    public FuelExhaustedException(string pluginId, long consumed, string message)
        : base(ErrorKind.FuelExhausted, pluginId, message) => Consumed = consumed;

    /// <summary>Gets the fuel the call consumed.</summary>
    public long Consumed { get; }
}

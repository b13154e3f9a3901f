using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>The runtime already runs its maximum number of plugins (<see cref="ErrorKind.TooManySandboxes"/>).</summary>
public sealed class TooManySandboxesException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="TooManySandboxesException"/> class.</summary>
    /// <param name="pluginId">The plugin that was refused.</param>
    /// <param name="current">The plugins loaded.</param>
    /// <param name="max">The maximum.</param>
    public TooManySandboxesException(string pluginId, int current, int max)
        : base(ErrorKind.TooManySandboxes, pluginId, $"too many sandboxes: {current} loaded, the maximum is {max}")
    {
        Current = current;
        Max = max;
    }

    /// <summary>Gets the plugins loaded when the load was refused.</summary>
    public int Current { get; }

    /// <summary>Gets the maximum.</summary>
    public int Max { get; }
}

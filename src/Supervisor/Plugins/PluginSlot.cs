namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A loaded plugin: its current generation (manifest, module, worker, counters, fuel budget) and the gate its calls
/// take turns at. Generation fields change only while the gate is held.
/// </summary>
internal sealed class PluginSlot
{
    /// <summary>Initializes a new instance of the <see cref="PluginSlot"/> class.</summary>
    /// <param name="id">The plugin id.</param>
    /// <param name="maxQueued">The most calls that may wait.</param>
    /// <param name="generation">The first generation.</param>
    public PluginSlot(string id, int maxQueued, PluginGeneration generation)
    {
        Id = id;
        Gate = new CallGate(maxQueued);
        Current = generation;
    }

    private static long loadSequence;

    /// <summary>Gets the order the plugin was loaded in: hooks of several plugins run in this order.</summary>
    public long LoadSequence { get; } = Interlocked.Increment(ref loadSequence);

    /// <summary>Gets the plugin id.</summary>
    public string Id { get; }

    /// <summary>Gets the gate calls take turns at.</summary>
    public CallGate Gate { get; }

    /// <summary>Gets or sets the generation serving calls.</summary>
    public PluginGeneration Current { get; set; }

    /// <summary>Gets or sets a value indicating whether a call is running.</summary>
    public bool Executing { get; set; }

    /// <summary>Gets or sets a value indicating whether a reload is under way.</summary>
    public bool Reloading { get; set; }

    /// <summary>Gets or sets a value indicating whether the plugin was unloaded; waiting calls then fail.</summary>
    public bool Terminated { get; set; }

    /// <summary>Gets the worker failure history, backoff and quarantine.</summary>
    public WorkerHealth Health { get; } = new();

    /// <summary>Gets the state to report.</summary>
    public PluginState State
        => Terminated ? PluginState.Terminated
            : Health.QuarantineReason is not null ? PluginState.Quarantined
            : Current.Worker is null || Current.Worker.HasExited ? PluginState.Crashed
            : Executing ? PluginState.Executing
            : Reloading ? PluginState.Reloading
            : PluginState.Ready;
}

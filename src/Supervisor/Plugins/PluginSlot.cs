namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A loaded plugin: the generation new calls are routed to, the previous one while a reload is on probation, and the
/// gate its calls take turns at.
/// </summary>
/// <remarks>
/// Routing changes only under <see cref="Sync"/>, and a call picks its generation under the same lock
/// (<see cref="Route"/>), so every call runs on exactly one generation and a reload's switch is atomic.
/// </remarks>
internal sealed class PluginSlot
{
    private static long loadSequence;

    /// <summary>Initializes a new instance of the <see cref="PluginSlot"/> class.</summary>
    /// <param name="id">The plugin id.</param>
    /// <param name="maxQueued">The most calls that may wait.</param>
    /// <param name="generation">The first generation.</param>
    /// <param name="queue">The plugin's waiting calls, shared with its workers' coalescers (see <see cref="QueueAccount"/>).</param>
    public PluginSlot(string id, int maxQueued, PluginGeneration generation, QueueAccount queue)
    {
        Id = id;
        Queue = queue;
        Gate = new CallGate(maxQueued, generation.GateCapacity, queue);
        Current = generation;
        NextGeneration = generation.Number + 1;
        Unfolded.Add(generation);
    }

    /// <summary>Gets the order the plugin was loaded in: hooks of several plugins run in this order.</summary>
    public long LoadSequence { get; } = Interlocked.Increment(ref loadSequence);

    /// <summary>Gets the plugin id.</summary>
    public string Id { get; }

    /// <summary>Gets the plugin's waiting calls, at the gate and in its workers' lanes.</summary>
    public QueueAccount Queue { get; }

    /// <summary>Gets the gate calls take turns at; its capacity is the current generation's <see cref="PluginGeneration.GateCapacity"/>.</summary>
    public CallGate Gate { get; }

    /// <summary>Gets the lock routing changes under.</summary>
    public Lock Sync { get; } = new();

    /// <summary>Gets the lock that lets one reload run at a time.</summary>
    public SemaphoreSlim ReloadLock { get; } = new(1, 1);

    /// <summary>Gets or sets the generation new calls are routed to. Set under <see cref="Sync"/>.</summary>
    public PluginGeneration Current { get; set; }

    /// <summary>
    /// Gets or sets the generation a reload replaced while the new one is on probation: kept, drained but alive, so a
    /// failing new generation can be rolled back at once. Set under <see cref="Sync"/>.
    /// </summary>
    public PluginGeneration? Previous { get; set; }

    /// <summary>Gets or sets the number the next generation gets. Numbers are never reused, not even by a rolled-back reload.</summary>
    public long NextGeneration { get; set; }

    /// <summary>Gets or sets why the latest reload was rolled back, or <see langword="null"/>.</summary>
    public string? LastRollbackReason { get; set; }

    /// <summary>Gets or sets the reloads that took effect.</summary>
    public long Reloads { get; set; }

    /// <summary>Gets or sets the reloads that were refused or rolled back.</summary>
    public long Rollbacks { get; set; }

    /// <summary>Gets the counters of generations that are gone, so lifetime totals survive reloads. Changed under <see cref="Sync"/>.</summary>
    public PluginCounters Retired { get; } = new();

    /// <summary>Gets the generations that served calls and are not yet folded into <see cref="Retired"/>. Changed under <see cref="Sync"/>.</summary>
    public List<PluginGeneration> Unfolded { get; } = [];

    /// <summary>Gets or sets what ends the current probation early (a rollback, the next reload, an unload).</summary>
    public TaskCompletionSource? ProbationCut { get; set; }

    /// <summary>Gets or sets the task that settles the current probation: commit (stop the old generation) or nothing after a rollback.</summary>
    public Task ProbationTask { get; set; } = Task.CompletedTask;

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
            : Gate.InUse > 0 ? PluginState.Executing
            : Reloading ? PluginState.Reloading
            : PluginState.Ready;

    /// <summary>Picks the generation for a call and counts the call on it; pair with <see cref="PluginGeneration.ExitCall"/>.</summary>
    /// <returns>The generation the call runs on.</returns>
    public PluginGeneration Route()
    {
        lock (Sync)
        {
            var generation = Current;
            generation.EnterCall();
            return generation;
        }
    }

    /// <summary>Adds up every generation's counters: the plugin's lifetime totals.</summary>
    /// <returns>A snapshot.</returns>
    public PluginCounters Lifetime()
    {
        var totals = new PluginCounters();
        lock (Sync)
        {
            Retired.AddTo(totals);
            foreach (var generation in Unfolded)
            {
                generation.Counters.AddTo(totals);
            }
        }

        return totals;
    }

    /// <summary>Folds a finished generation's counters into <see cref="Retired"/>, once.</summary>
    /// <param name="generation">The generation; no call may still run on it.</param>
    public void Fold(PluginGeneration generation)
    {
        lock (Sync)
        {
            if (Unfolded.Remove(generation))
            {
                generation.Counters.AddTo(Retired);
            }
        }
    }

    /// <summary>Gets the generations that are alive: the current one and, during probation, the previous one.</summary>
    /// <returns>A snapshot.</returns>
    public PluginGeneration[] Live()
    {
        lock (Sync)
        {
            return Previous is { } previous ? [Current, previous] : [Current];
        }
    }
}

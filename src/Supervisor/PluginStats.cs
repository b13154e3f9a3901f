namespace SochDb.Isolated.Supervisor;

/// <summary>Statistics of one plugin's current generation (reset by a reload, as in the original).</summary>
public sealed record PluginStats
{
    /// <summary>Gets the calls made.</summary>
    public long TotalCalls { get; init; }

    /// <summary>Gets the calls that returned results.</summary>
    public long SuccessfulCalls { get; init; }

    /// <summary>Gets the calls that failed, for any reason.</summary>
    public long FailedCalls { get; init; }

    /// <summary>Gets the fuel consumed by all calls.</summary>
    public long FuelConsumed { get; init; }

    /// <summary>Gets the fuel left in the plugin's lifetime budget.</summary>
    public long FuelRemaining { get; init; }

    /// <summary>Gets the time spent in the guest by all calls.</summary>
    public TimeSpan TotalExecutionTime { get; init; }

    /// <summary>Gets the largest linear memory seen, in bytes.</summary>
    public long PeakMemoryBytes { get; init; }

    /// <summary>Gets the host functions the guest called.</summary>
    public long HostCalls { get; init; }

    /// <summary>Gets the host calls that failed.</summary>
    public long HostCallErrors { get; init; }

    /// <summary>Gets the host calls denied because the manifest does not grant the capability.</summary>
    public long CapabilityDenials { get; init; }

    /// <summary>Gets the calls that ran out of fuel (per call or lifetime budget).</summary>
    public long FuelExhaustions { get; init; }

    /// <summary>Gets the calls that passed their deadline.</summary>
    public long Timeouts { get; init; }

    /// <summary>Gets the calls stopped by the memory limit.</summary>
    public long MemoryViolations { get; init; }

    /// <summary>Gets the calls that trapped for another reason.</summary>
    public long Traps { get; init; }

    /// <summary>Gets the workers that died under this generation.</summary>
    public long WorkerCrashes { get; init; }

    /// <summary>Gets the workers started to replace a dead one.</summary>
    public long WorkerRestarts { get; init; }

    /// <summary>Gets the generation these statistics describe.</summary>
    public long Generation { get; init; }

    /// <summary>Gets how the plugin's last worker ended (<see cref="WorkerExitReason.None"/> if none has).</summary>
    public WorkerExitReason LastExitReason { get; init; }

    /// <summary>Gets why the plugin is quarantined, or <see langword="null"/> when it is not.</summary>
    public string? QuarantineReason { get; init; }

    /// <summary>Gets the calls made to every generation since the plugin was loaded.</summary>
    public long LifetimeCalls { get; init; }

    /// <summary>Gets the successful calls over every generation.</summary>
    public long LifetimeSuccessfulCalls { get; init; }

    /// <summary>Gets the failed calls over every generation.</summary>
    public long LifetimeFailedCalls { get; init; }

    /// <summary>Gets the fuel consumed over every generation.</summary>
    public long LifetimeFuelConsumed { get; init; }

    /// <summary>Gets the worker crashes over every generation.</summary>
    public long LifetimeWorkerCrashes { get; init; }

    /// <summary>Gets the reloads that took effect (switched calls to a new generation).</summary>
    public long Reloads { get; init; }

    /// <summary>Gets the reloads that were refused before the switch or rolled back after it.</summary>
    public long Rollbacks { get; init; }

    /// <summary>Gets why the latest reload was refused or rolled back, or <see langword="null"/>.</summary>
    public string? LastRollbackReason { get; init; }

    /// <summary>Gets the calls the current generation may run at once.</summary>
    public int MaxInstances { get; init; }

    /// <summary>Gets the calls running now.</summary>
    public int CallsInFlight { get; init; }

    /// <summary>Gets the calls waiting for a free instance now.</summary>
    public int CallsQueued { get; init; }
}

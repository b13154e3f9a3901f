namespace SochDb.Isolated.Supervisor;

/// <summary>Statistics of the whole runtime since it was created.</summary>
public sealed record RuntimeStats
{
    /// <summary>Gets the plugins loaded (each load and each reload's new generation counts).</summary>
    public long SandboxesCreated { get; init; }

    /// <summary>Gets the plugins loaded now.</summary>
    public long ActiveSandboxes { get; init; }

    /// <summary>Gets the calls made to all plugins.</summary>
    public long TotalInvocations { get; init; }

    /// <summary>Gets the fuel consumed by all calls.</summary>
    public long TotalFuelConsumed { get; init; }

    /// <summary>Gets the loads that reused an already compiled module, from memory or from the disk cache.</summary>
    public long ModuleCacheHits { get; init; }

    /// <summary>Gets the loads that had to compile their module.</summary>
    public long ModuleCacheMisses { get; init; }

    /// <summary>Gets the hits served from the on-disk module cache without compiling (a subset of <see cref="ModuleCacheHits"/>).</summary>
    public long ModuleCacheDiskHits { get; init; }

    /// <summary>Gets the calls and loads stopped by a memory limit.</summary>
    public long MemoryViolations { get; init; }

    /// <summary>Gets the calls that ran out of fuel.</summary>
    public long FuelExhaustions { get; init; }

    /// <summary>Gets the calls that passed their deadline.</summary>
    public long Timeouts { get; init; }

    /// <summary>Gets the calls that trapped for another reason.</summary>
    public long Traps { get; init; }

    /// <summary>Gets the worker processes started.</summary>
    public long WorkersStarted { get; init; }

    /// <summary>Gets the worker processes that died unasked.</summary>
    public long WorkerCrashes { get; init; }

    /// <summary>Gets the calls rejected because too many were queued.</summary>
    public long Overloads { get; init; }

    /// <summary>Gets the host calls handled.</summary>
    public long HostCalls { get; init; }

    /// <summary>Gets the host calls that did not succeed.</summary>
    public long HostCallErrors { get; init; }

    /// <summary>Gets the host calls denied because a manifest does not grant the capability.</summary>
    public long CapabilityDenials { get; init; }

    /// <summary>Gets the audit records written this session.</summary>
    public long AuditRecords { get; init; }

    /// <summary>Gets the OS isolation mechanism in force for workers.</summary>
    public Isolation.IsolationMode IsolationMode { get; init; }

    /// <summary>Gets replacement workers started after failures, over all plugins.</summary>
    public long WorkerRestarts { get; init; }

    /// <summary>Gets the plugins now quarantined by the crash-loop breaker.</summary>
    public long QuarantinedPlugins { get; init; }

    /// <summary>Gets the idle workers in the warm pool now (0 when <see cref="PluginSupervisorOptions.WarmPoolSize"/> is 0).</summary>
    public long WarmPoolSize { get; init; }

    /// <summary>Gets the loads, restarts and reloads that adopted a warm pooled worker instead of starting one (each also counts in <see cref="WorkersStarted"/>).</summary>
    public long WarmPoolAdoptions { get; init; }
}

namespace SochDb.Isolated.Supervisor;

/// <summary>A loaded plugin, as listed by <see cref="PluginSupervisor.ListPlugins"/>.</summary>
/// <param name="Id">The id it was loaded under.</param>
/// <param name="Name">The manifest's name.</param>
/// <param name="Version">The manifest's version.</param>
/// <param name="State">The current state.</param>
/// <param name="Generation">The generation serving calls: 1 at load, a new number per reload attempt (numbers are never reused, so a refused reload leaves a gap).</param>
/// <param name="WorkerPid">The worker's process id, or <see langword="null"/> when no worker runs.</param>
/// <param name="MemoryUsedBytes">The plugin's linear memory after its latest call, in bytes.</param>
/// <param name="CallCount">The calls made to this generation.</param>
/// <param name="Uptime">The time since this generation started.</param>
/// <param name="WorkerRestarts">Replacement workers started since the plugin was loaded.</param>
/// <param name="LastExitReason">How the last worker ended (<see cref="WorkerExitReason.None"/> if none has).</param>
/// <param name="QuarantineReason">Why the plugin is quarantined, or <see langword="null"/>.</param>
/// <param name="MaxInstances">The calls the current generation may run at once.</param>
/// <param name="PreviousGeneration">The generation kept for rollback while a reload is on probation, or <see langword="null"/>.</param>
/// <param name="LastRollbackReason">Why the latest reload was refused or rolled back, or <see langword="null"/>.</param>
public sealed record PluginInfo(
    string Id,
    string Name,
    string Version,
    PluginState State,
    long Generation,
    int? WorkerPid,
    long MemoryUsedBytes,
    long CallCount,
    TimeSpan Uptime,
    long WorkerRestarts = 0,
    WorkerExitReason LastExitReason = WorkerExitReason.None,
    string? QuarantineReason = null,
    int MaxInstances = 1,
    long? PreviousGeneration = null,
    string? LastRollbackReason = null);

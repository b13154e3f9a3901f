namespace SochDb.Isolated.Supervisor;

/// <summary>A loaded plugin, as listed by <see cref="PluginSupervisor.ListPlugins"/>.</summary>
/// <param name="Id">The id it was loaded under.</param>
/// <param name="Name">The manifest's name.</param>
/// <param name="Version">The manifest's version.</param>
/// <param name="State">The current state.</param>
/// <param name="Generation">The generation: 1 at load, +1 per successful reload.</param>
/// <param name="WorkerPid">The worker's process id, or <see langword="null"/> when no worker runs.</param>
/// <param name="MemoryUsedBytes">The plugin's linear memory after its latest call, in bytes.</param>
/// <param name="CallCount">The calls made to this generation.</param>
/// <param name="Uptime">The time since this generation started.</param>
/// <param name="WorkerRestarts">Replacement workers started since the plugin was loaded.</param>
/// <param name="LastExitReason">How the last worker ended (<see cref="WorkerExitReason.None"/> if none has).</param>
/// <param name="QuarantineReason">Why the plugin is quarantined, or <see langword="null"/>.</param>
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
    string? QuarantineReason = null);

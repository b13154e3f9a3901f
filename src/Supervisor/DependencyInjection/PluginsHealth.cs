using Microsoft.Extensions.Diagnostics.HealthChecks;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>What the health check looks at, taken at one moment.</summary>
/// <param name="Phase">The plugins' life-cycle phase.</param>
/// <param name="IsolationMode">The OS isolation in force.</param>
/// <param name="Plugins">The loaded plugins.</param>
/// <param name="FailedLoads">The declared plugins that failed to load, by id, with the reason.</param>
/// <param name="CrashesInWindow">The worker crashes within the crash window.</param>
/// <param name="TotalCrashes">The worker crashes since the supervisor started.</param>
/// <param name="TotalRestarts">The replacement workers started since the supervisor started.</param>
internal sealed record PluginsHealthSnapshot(
    IsolatedPluginsPhase Phase,
    IsolationMode IsolationMode,
    IReadOnlyList<PluginInfo> Plugins,
    IReadOnlyDictionary<string, string> FailedLoads,
    long CrashesInWindow,
    long TotalCrashes,
    long TotalRestarts);

/// <summary>The health check's verdict.</summary>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
/// <param name="Description">Why, in one line.</param>
/// <param name="Data">The figures behind it.</param>
internal sealed record PluginsHealthVerdict(HealthStatus Status, string Description, IReadOnlyDictionary<string, object> Data);

/// <summary>The health rules, as a pure function of a <see cref="PluginsHealthSnapshot"/>. See <c>docs/operations.md</c>.</summary>
internal static class PluginsHealth
{
    /// <summary>Judges a snapshot.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="options">The thresholds.</param>
    /// <returns>
    /// Unhealthy while starting, after a failed start, while stopping, when a plugin is quarantined or when every
    /// plugin's worker is down; Degraded when a declared plugin failed to load, when worker crashes within the window
    /// reach the threshold, when a worker is down awaiting its restart, or when only the watchdog isolates workers;
    /// Healthy otherwise.
    /// </returns>
    public static PluginsHealthVerdict Evaluate(PluginsHealthSnapshot snapshot, IsolatedPluginsHealthOptions options)
    {
        var quarantined = snapshot.Plugins.Where(p => p.State == PluginState.Quarantined).Select(p => p.Id).ToArray();
        var down = snapshot.Plugins.Where(p => p.State == PluginState.Crashed).Select(p => p.Id).ToArray();
        var failed = snapshot.FailedLoads.Keys.Order(StringComparer.Ordinal).ToArray();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["phase"] = snapshot.Phase.ToString(),
            ["isolationMode"] = snapshot.IsolationMode.ToString(),
            ["plugins"] = snapshot.Plugins.Count,
            ["quarantined"] = string.Join(",", quarantined),
            ["workersDown"] = string.Join(",", down),
            ["failedToLoad"] = string.Join(",", failed),
            ["crashesInWindow"] = snapshot.CrashesInWindow,
            ["crashWindowSeconds"] = options.CrashWindow.TotalSeconds,
            ["crashThreshold"] = options.CrashThreshold,
            ["workerCrashes"] = snapshot.TotalCrashes,
            ["workerRestarts"] = snapshot.TotalRestarts,
        };

        var unhealthy = snapshot.Phase switch
        {
            IsolatedPluginsPhase.Starting => "starting: the declared plugins are loading",
            IsolatedPluginsPhase.Failed => "the plugins' start failed",
            IsolatedPluginsPhase.Stopping => "stopping: plugins are draining",
            IsolatedPluginsPhase.Stopped => "stopped",
            _ when quarantined.Length > 0 => $"quarantined (calls fail until reset): {string.Join(", ", quarantined)}",
            _ when down.Length > 0 && down.Length == snapshot.Plugins.Count => $"every plugin's worker is down: {string.Join(", ", down)}",
            _ => null,
        };
        if (unhealthy is not null)
        {
            return new PluginsHealthVerdict(HealthStatus.Unhealthy, unhealthy, data);
        }

        var degraded = new List<string>();
        if (failed.Length > 0)
        {
            degraded.Add($"failed to load: {string.Join(", ", failed)}");
        }

        if (snapshot.CrashesInWindow >= options.CrashThreshold)
        {
            degraded.Add($"{snapshot.CrashesInWindow} worker crashes in the last {options.CrashWindow.TotalSeconds:0.###} s (threshold {options.CrashThreshold})");
        }

        if (down.Length > 0)
        {
            degraded.Add($"worker down, restart pending: {string.Join(", ", down)}");
        }

        if (snapshot.IsolationMode == IsolationMode.Watchdog)
        {
            degraded.Add("only the watchdog isolates workers (no OS memory, process or CPU limits)");
        }

        return degraded.Count > 0
            ? new PluginsHealthVerdict(HealthStatus.Degraded, string.Join("; ", degraded), data)
            : new PluginsHealthVerdict(HealthStatus.Healthy, $"{snapshot.Plugins.Count} plugins serving ({snapshot.IsolationMode} isolation)", data);
    }
}

using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>Picks and sets up the isolation mechanism for a supervisor.</summary>
internal static class WorkerIsolationFactory
{
    /// <summary>
    /// Sets up the requested mechanism, or in <see cref="IsolationMode.Auto"/> the strongest one that works here:
    /// cgroup v2, cgroup v1, a job object, else the watchdog (logged as a warning naming why each stronger one failed).
    /// A mechanism counts as working only once its parent group (or a probe job) has actually been created.
    /// </summary>
    /// <param name="options">The options (validated here).</param>
    /// <param name="logger">The supervisor's logger.</param>
    /// <returns>The isolation; the caller owns it and disposes it after every group.</returns>
    /// <exception cref="IsolationException">An explicitly requested mode is unavailable; the message says why.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static IWorkerIsolation Create(IsolationOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var platform = options.CgroupRootOverride is null
            ? IsolationPlatform.Host
            : IsolationPlatform.Host with { FileSystem = new CgroupFileSystem(plainDirectories: true), CgroupsPossible = true };
        return Create(options, logger, platform);
    }

    /// <summary>As <see cref="Create(IsolationOptions, ILogger)"/>, on a given host. Internal for testing.</summary>
    /// <param name="options">The options (validated here).</param>
    /// <param name="logger">The supervisor's logger.</param>
    /// <param name="platform">The host.</param>
    /// <returns>The isolation.</returns>
    /// <exception cref="IsolationException">An explicitly requested mode is unavailable; the message says why.</exception>
    internal static IWorkerIsolation Create(IsolationOptions options, ILogger logger, IsolationPlatform platform)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();

        IsolationMode[] candidates = options.Mode == IsolationMode.Auto
            ? [IsolationMode.CgroupV2, IsolationMode.CgroupV1, IsolationMode.JobObject, IsolationMode.Watchdog]
            : [options.Mode];
        var unavailable = new List<(IsolationMode Mode, string Reason)>();
        CgroupLayout? layout = null;
        foreach (var mode in candidates)
        {
            var isolation = TryCreate(mode, options, platform, logger, () => layout ??= Discover(options, platform), out var reason);
            if (isolation is null)
            {
                if (options.Mode != IsolationMode.Auto)
                {
                    throw new IsolationException($"Isolation mode {mode} was requested but is unavailable: {reason}");
                }

                unavailable.Add((mode, reason));
                continue;
            }

            var fallback = options.Mode == IsolationMode.Auto && mode == IsolationMode.Watchdog;
            foreach (var (skipped, why) in unavailable)
            {
                IsolationLog.IsolationModeUnavailable(logger, fallback ? LogLevel.Warning : LogLevel.Information, skipped.ToString(), why);
            }

            if (fallback)
            {
                IsolationLog.WatchdogOnly(logger, options.WatchdogInterval.TotalMilliseconds);
            }

            IsolationLog.IsolationSelected(logger, isolation.Mode.ToString(), isolation.Description);
            return isolation;
        }

        // Unreachable: the watchdog is always available in Auto mode, and an explicit mode throws above.
        throw new IsolationException("No isolation mode is available.");
    }

    /// <summary>Sets up one mode, or says why it is unavailable.</summary>
    private static IWorkerIsolation? TryCreate(IsolationMode mode, IsolationOptions options, IsolationPlatform platform, ILogger logger, Func<CgroupLayout> layout, out string reason)
    {
        reason = string.Empty;
        try
        {
            switch (mode)
            {
                case IsolationMode.CgroupV2 when !platform.CgroupsPossible:
                case IsolationMode.CgroupV1 when !platform.CgroupsPossible:
                    reason = "cgroups exist only on Linux";
                    return null;
                case IsolationMode.CgroupV2:
                    if (layout().UnifiedDirectory is not { } unified)
                    {
                        reason = Explain("the supervisor is in no mounted cgroup v2 hierarchy", layout());
                        return null;
                    }

                    return CgroupV2Isolation.Create(unified, platform, logger);
                case IsolationMode.CgroupV1:
                    if (layout().ControllerDirectories.Count == 0)
                    {
                        reason = Explain("the supervisor is in no mounted cgroup v1 hierarchy", layout());
                        return null;
                    }

                    return CgroupV1Isolation.Create(layout().ControllerDirectories, platform, logger);
                case IsolationMode.JobObject:
                    if (!OperatingSystem.IsWindows())
                    {
                        reason = "job objects exist only on Windows";
                        return null;
                    }

                    return JobObjectIsolation.Create(logger);
                default:
                    return new WatchdogIsolation(options.WatchdogInterval, platform, logger);
            }
        }
        catch (IsolationException ex)
        {
            reason = ex.Message;
            return null;
        }
    }

    /// <summary>Finds the supervisor's own cgroups, in the override root when one is set.</summary>
    private static CgroupLayout Discover(IsolationOptions options, IsolationPlatform platform)
        => options.CgroupRootOverride is { } root
            ? CgroupDiscovery.FromOverride(platform.FileSystem, root)
            : CgroupDiscovery.Discover(platform.FileSystem, platform.ProcSelfCgroupPath, platform.ProcSelfMountInfoPath);

    /// <summary>Adds the discovery notes to a reason.</summary>
    private static string Explain(string reason, CgroupLayout layout)
        => layout.Notes.Count == 0 ? reason : $"{reason} ({string.Join("; ", layout.Notes)})";
}

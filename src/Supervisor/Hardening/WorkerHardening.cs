using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// The hardening plan of each supervisor: probed once per process, planned once per <see cref="HardeningOptions"/>
/// instance, logged once, and handed to every worker start.
/// </summary>
internal static class WorkerHardening
{
    private static readonly Lazy<HardeningProbe> HostProbe = new(HardeningProbe.Run, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConditionalWeakTable<HardeningOptions, Entry> Plans = [];

    /// <summary>Gets what this host allows, probing it on first use.</summary>
    internal static HardeningProbe Probe => HostProbe.Value;

    /// <summary>Gets the plan for a supervisor's options, logging what is and is not in force the first time.</summary>
    /// <param name="options">The supervisor's hardening options.</param>
    /// <param name="logger">The supervisor's logger. A logger that does not log warnings does not count as having logged them.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="InvalidOperationException">A required measure is unavailable, or the worker user cannot be used; the message says which.</exception>
    public static HardeningPlan GetPlan(HardeningOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entry = Plans.GetValue(options, static o => new Entry(Create(o, HostProbe.Value)));
        if (logger.IsEnabled(LogLevel.Warning) && Interlocked.Exchange(ref entry.Logged, 1) == 0)
        {
            Log(logger, entry.Plan, HostProbe.Value);
        }

        return entry.Plan.Failure is { } failure ? throw new InvalidOperationException("Worker hardening: " + failure) : entry.Plan;
    }

    /// <summary>Plans from a probe, resolving the worker user and reading the supervisor's own network namespace.</summary>
    /// <param name="options">The options.</param>
    /// <param name="probe">What the host allows.</param>
    /// <returns>The plan.</returns>
    internal static HardeningPlan Create(HardeningOptions options, HardeningProbe probe)
    {
        (uint, uint)? user = null;
        string? userProblem = null;
        if (options.WorkerUser is not null && OperatingSystem.IsLinux())
        {
            user = ResolveUser(options.WorkerUser, out userProblem);
        }

        var ownNamespace = OperatingSystem.IsLinux() ? ReadOwnNetworkNamespace() : null;
        return HardeningPlanner.Plan(options, probe, user, userProblem, ownNamespace);
    }

    /// <summary>Resolves a <see cref="HardeningOptions.WorkerUser"/> value to ids.</summary>
    /// <param name="value">A user name or <c>uid:gid</c>.</param>
    /// <param name="problem">Why it could not be resolved.</param>
    /// <returns>The user and primary group ids, or <see langword="null"/>.</returns>
    [SupportedOSPlatform("linux")]
    internal static (uint UserId, uint GroupId)? ResolveUser(string value, out string? problem)
    {
        if (!HardeningOptions.TryParseWorkerUser(value, out var name, out var ids, out var parseProblem))
        {
            problem = parseProblem;
            return null;
        }

        problem = null;
        if (ids is not null)
        {
            return ids;
        }

        var buffer = new byte[1024];
        while (true)
        {
            var error = HardeningInterop.GetPasswordEntry(name!, out var entry, buffer, (nuint)buffer.Length, out var result);
            if (error == HardeningInterop.ERANGE && buffer.Length < 1 << 20)
            {
                buffer = new byte[buffer.Length * 4];
                continue;
            }

            if (error != 0)
            {
                problem = $"looking the user up failed (error {error})";
                return null;
            }

            if (result == 0)
            {
                problem = "there is no such user";
                return null;
            }

            if (entry.UserId == 0 || entry.GroupId == 0)
            {
                problem = "it is root or in the root group";
                return null;
            }

            return (entry.UserId, entry.GroupId);
        }
    }

    /// <summary>Reads the supervisor's network namespace.</summary>
    /// <returns><c>net:[inode]</c>, or <see langword="null"/> when unreadable.</returns>
    [SupportedOSPlatform("linux")]
    internal static string? ReadOwnNetworkNamespace()
    {
        try
        {
            return new FileInfo("/proc/self/ns/net").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void Log(ILogger logger, HardeningPlan plan, HardeningProbe probe)
    {
        foreach (var note in probe.Notes)
        {
            HardeningLog.HardeningProbe(logger, note);
        }

        if (plan.Failure is { } failure)
        {
            HardeningLog.HardeningUnavailable(logger, failure);
            return;
        }

        foreach (var degradation in plan.Degradations)
        {
            HardeningLog.HardeningDegraded(logger, degradation.Measure, degradation.Reason);
        }

        HardeningLog.HardeningPlanned(logger, plan.Summary);
        if (plan.LaunchPrefix.Count > 0)
        {
            HardeningLog.HardeningLaunchChain(logger, string.Join(' ', plan.LaunchPrefix));
        }
    }

    /// <summary>One options instance's plan, and whether it was logged.</summary>
    /// <param name="plan">The plan.</param>
    private sealed class Entry(HardeningPlan plan)
    {
        /// <summary>1 once the plan was logged.</summary>
        public int Logged;

        /// <summary>Gets the plan.</summary>
        public HardeningPlan Plan { get; } = plan;
    }
}

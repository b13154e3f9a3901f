using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// Decides how workers are launched and hardened: a pure function of the options and of what the host allows, so
/// every combination is unit-tested without spawning anything.
/// </summary>
/// <remarks>
/// The launch chain is <c>unshare [--user --map-root-user] --net -- setpriv [--no-new-privs] [--bounding-set …]
/// -- dotnet worker.dll</c>. <c>unshare</c> comes first because it needs the supervisor's privileges (or creates the
/// user namespace that grants them); <c>setpriv</c> then takes privileges away, and both <c>exec</c> in place, so
/// the worker keeps the process id the supervisor started. no_new_privs and namespaces are per-thread in Linux,
/// which is why they are set here, while the process is still single-threaded, and not inside the runtime.
/// </remarks>
internal static class HardeningPlanner
{
    private const string ToolFoldersText = "/usr/bin, /bin, /usr/sbin or /sbin";

    /// <summary>Plans the hardening of every worker of one supervisor.</summary>
    /// <param name="options">The hardening options.</param>
    /// <param name="probe">What the host allows.</param>
    /// <param name="user">The resolved <see cref="HardeningOptions.WorkerUser"/>, or <see langword="null"/>.</param>
    /// <param name="userProblem">Why <see cref="HardeningOptions.WorkerUser"/> could not be resolved, when it could not.</param>
    /// <param name="supervisorNetworkNamespace">The supervisor's own network namespace (<c>net:[inode]</c>), when known.</param>
    /// <returns>The plan.</returns>
    public static HardeningPlan Plan(HardeningOptions options, HardeningProbe probe, (uint UserId, uint GroupId)? user, string? userProblem, string? supervisorNetworkNamespace)
    {
        var degradations = new List<HardeningDegradation>();
        var summary = new List<string> { "scrubbed environment" };
        if (!probe.IsLinux)
        {
            return PlanElsewhere(options, degradations, summary);
        }

        string? failure = null;
        if (options.WorkerUser is not null)
        {
            if (!probe.IsRoot)
            {
                failure = $"{nameof(HardeningOptions.WorkerUser)} '{options.WorkerUser}' needs a supervisor running as root: only root can switch a worker to another user";
            }
            else if (user is null)
            {
                failure = $"{nameof(HardeningOptions.WorkerUser)} '{options.WorkerUser}' cannot be used: {userProblem ?? "it is not a known user"}";
            }
        }
        else
        {
            user = null;
        }

        var markDescriptors = options.MarkDescriptorsCloseOnExec;
        if (markDescriptors)
        {
            summary.Add("descriptors close-on-exec");
        }

        var prefix = new List<string>();
        var network = NetworkIsolation(options, probe, user is not null, degradations, ref failure);
        if (network == NetworkNamespaceSupport.Privileged)
        {
            prefix.AddRange([probe.UnsharePath!, "--net", "--"]);
            summary.Add("own network namespace");
        }
        else if (network == NetworkNamespaceSupport.UserNamespace)
        {
            prefix.AddRange([probe.UnsharePath!, "--user", "--map-root-user", "--net", "--"]);
            summary.Add("own network namespace (in a user namespace)");
        }

        var setpriv = new List<string>();
        var noNewPrivileges = false;
        if (options.NoNewPrivileges)
        {
            if (probe.SetprivPath is not null && probe.NoNewPrivileges)
            {
                setpriv.Add("--no-new-privs");
                noNewPrivileges = true;
                summary.Add("no_new_privs");
            }
            else
            {
                degradations.Add(new(nameof(HardeningOptions.NoNewPrivileges), probe.SetprivPath is null
                    ? $"util-linux 'setpriv' was not found in {ToolFoldersText}"
                    : "'setpriv --no-new-privs' failed on this host (see the debug log of the probe)"));
            }
        }

        // Only a worker that would start with capabilities has any to drop: one started by root, or root inside its
        // own user namespace. An unprivileged supervisor's workers have none to begin with.
        var noCapabilities = user is not null;
        if (options.DropCapabilities && (probe.IsRoot || network == NetworkNamespaceSupport.UserNamespace))
        {
            var works = network == NetworkNamespaceSupport.UserNamespace ? probe.UserNamespaceDropCapabilities : probe.DropCapabilities;
            if (probe.SetprivPath is not null && works)
            {
                // A worker that must still switch user keeps CAP_SETUID and CAP_SETGID until it does: the switch
                // away from root clears every capability it has left.
                setpriv.AddRange(["--bounding-set", user is null ? "-all" : "-all,+setuid,+setgid", "--inh-caps", "-all"]);
                noCapabilities = true;
            }
            else
            {
                degradations.Add(new(nameof(HardeningOptions.DropCapabilities), probe.SetprivPath is null
                    ? $"util-linux 'setpriv' was not found in {ToolFoldersText}; workers start with the supervisor's capabilities"
                    : "'setpriv --bounding-set -all' failed on this host; workers start with the supervisor's capabilities"));
            }
        }

        if (noCapabilities)
        {
            summary.Add("no capabilities");
        }

        if (setpriv.Count > 0)
        {
            prefix.Add(probe.SetprivPath!);
            prefix.AddRange(setpriv);
            prefix.Add("--");
        }

        summary.Add($"open files <= {options.MaxOpenFiles}");
        if (options.DisableCoreDumps)
        {
            summary.Add("no core dumps, not dumpable");
        }

        if (user is { } switched)
        {
            summary.Add($"user {switched.UserId}:{switched.GroupId}");
        }

        var request = new WorkerHardeningRequest
        {
            MaxOpenFiles = options.MaxOpenFiles,
            DisableCoreDumps = options.DisableCoreDumps,
            UserId = user?.UserId,
            GroupId = user?.GroupId,
        };
        var expected = new HardeningExpectation
        {
            Linux = true,
            NoNewPrivileges = noNewPrivileges,
            NoCapabilities = noCapabilities,
            MaxOpenFiles = options.MaxOpenFiles,
            CoreDumpsDisabled = options.DisableCoreDumps,
            NetworkIsolated = network != NetworkNamespaceSupport.None,
            SupervisorNetworkNamespace = supervisorNetworkNamespace,
            UserId = user?.UserId,
            GroupId = user?.GroupId,
        };
        return new HardeningPlan(prefix, request, expected, degradations, failure, markDescriptors, string.Join(", ", summary));
    }

    private static NetworkNamespaceSupport NetworkIsolation(HardeningOptions options, HardeningProbe probe, bool switchesUser, List<HardeningDegradation> degradations, ref string? failure)
    {
        if (options.NetworkIsolation == HardeningRequirement.Off)
        {
            return NetworkNamespaceSupport.None;
        }

        var network = probe.Network;
        string? problem = null;
        if (network == NetworkNamespaceSupport.None)
        {
            problem = probe.UnsharePath is null
                ? $"util-linux 'unshare' was not found in {ToolFoldersText}"
                : probe.IsRoot
                    ? "'unshare --net' is not permitted (no CAP_SYS_ADMIN, e.g. in a restricted container) and unprivileged user namespaces are not available"
                    : "the supervisor is not root and unprivileged user namespaces are not available ('unshare --user --map-root-user --net' failed)";
        }
        else if (network == NetworkNamespaceSupport.UserNamespace && switchesUser)
        {
            // Only root is mapped in a user namespace made by --map-root-user, so the worker could not switch user.
            problem = $"'unshare --net' is not permitted, and a worker in a user namespace cannot switch to {nameof(HardeningOptions.WorkerUser)}";
            network = NetworkNamespaceSupport.None;
        }

        if (problem is not null)
        {
            if (options.NetworkIsolation == HardeningRequirement.Required)
            {
                failure ??= $"{nameof(HardeningOptions.NetworkIsolation)} is {nameof(HardeningRequirement.Required)} but {problem}";
            }
            else
            {
                degradations.Add(new(nameof(HardeningOptions.NetworkIsolation), problem + "; workers share the supervisor's network"));
            }
        }

        return network;
    }

    private static HardeningPlan PlanElsewhere(HardeningOptions options, List<HardeningDegradation> degradations, List<string> summary)
    {
        string? failure = null;
        const string problem = "network namespaces exist only on Linux; a worker whose plugin escaped Wasmtime could open network connections";
        if (options.NetworkIsolation == HardeningRequirement.Required)
        {
            failure = $"{nameof(HardeningOptions.NetworkIsolation)} is {nameof(HardeningRequirement.Required)} but {problem}";
        }
        else if (options.NetworkIsolation == HardeningRequirement.Auto)
        {
            degradations.Add(new(nameof(HardeningOptions.NetworkIsolation), problem));
        }

        if (options.WorkerUser is not null)
        {
            failure ??= $"{nameof(HardeningOptions.WorkerUser)} is only supported on Linux";
        }

        if (options.DisableCoreDumps)
        {
            summary.Add("no error-reporting dialogs");
        }

        // Descriptors and privileges are Linux mechanisms; Windows handle inheritance is covered in docs/security.md.
        var request = new WorkerHardeningRequest { DisableCoreDumps = options.DisableCoreDumps };
        return new HardeningPlan([], request, HardeningExpectation.None, degradations, failure, false, string.Join(", ", summary));
    }
}

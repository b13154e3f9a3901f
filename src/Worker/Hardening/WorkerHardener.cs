using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Worker.Hardening;

/// <summary>
/// Applies the process-wide measures of a <see cref="WorkerHardeningRequest"/> to the worker itself. Per-thread
/// measures (no_new_privs, namespaces, the capability bounding set) cannot be applied reliably from inside the
/// already multithreaded runtime, so the supervisor's launch chain applies those before the runtime starts.
/// </summary>
internal static class WorkerHardener
{
    /// <summary>
    /// Applies what must hold before the worker touches its channel: resource limits and, on Linux, the dumpable
    /// flag. Runs before any plugin byte has been received, so only trusted runtime code ran without them.
    /// </summary>
    /// <param name="request">The request from the bootstrap, or <see langword="null"/> for none.</param>
    /// <param name="error">What could not be applied.</param>
    /// <returns><see langword="true"/> when every requested measure is in force.</returns>
    public static bool TryApplyBeforeConnect(WorkerHardeningRequest? request, out string? error)
    {
        error = null;
        if (request is null)
        {
            return true;
        }

        if (OperatingSystem.IsLinux())
        {
            error = ApplyLinuxLimits(request);
        }
        else if (OperatingSystem.IsWindows())
        {
            error = ApplyWindows(request);
        }

        return error is null;
    }

    /// <summary>
    /// Applies what needs the connected channel first: the switch to an unprivileged user. The supervisor's pipe
    /// accepts only a peer of its own user (it checks the peer's credentials), so the worker connects as that user
    /// and gives it up before it answers the handshake, i.e. before it can receive any plugin code.
    /// </summary>
    /// <param name="request">The request from the bootstrap, or <see langword="null"/> for none.</param>
    /// <param name="error">What could not be applied.</param>
    /// <returns><see langword="true"/> when every requested measure is in force.</returns>
    public static bool TryApplyAfterConnect(WorkerHardeningRequest? request, out string? error)
    {
        error = null;
        if (request?.UserId is null)
        {
            return true;
        }

        if (!OperatingSystem.IsLinux())
        {
            error = "switching to another user is only supported on Linux";
            return false;
        }

        error = SwitchUser(request.UserId.Value, request.GroupId ?? request.UserId.Value);
        if (error is null && request.DisableCoreDumps)
        {
            // A change of effective id resets the dumpable flag to fs.suid_dumpable, which may be 2; set it again.
            error = SetNotDumpable();
        }

        return error is null;
    }

    [SupportedOSPlatform("linux")]
    private static string? ApplyLinuxLimits(WorkerHardeningRequest request)
    {
        if (request.DisableCoreDumps)
        {
            var none = new Interop.Libc.RLimit { Current = 0, Maximum = 0 };
            if (Interop.Libc.setrlimit(Interop.Libc.RLIMIT_CORE, none) != 0)
            {
                return Failed("setrlimit(RLIMIT_CORE, 0)");
            }

            var error = SetNotDumpable();
            if (error is not null)
            {
                return error;
            }
        }

        if (request.MaxOpenFiles > 0)
        {
            if (Interop.Libc.getrlimit(Interop.Libc.RLIMIT_NOFILE, out var current) != 0)
            {
                return Failed("getrlimit(RLIMIT_NOFILE)");
            }

            // Soft and hard both: the runtime raises the soft limit to the hard one at start, and a plugin that
            // escaped must not be able to raise it back. An unprivileged process cannot raise its hard limit, so a
            // request above it is clamped; the report shows the limit actually in force.
            var target = Math.Min((nuint)request.MaxOpenFiles, current.Maximum);
            var limit = new Interop.Libc.RLimit { Current = target, Maximum = target };
            if (Interop.Libc.setrlimit(Interop.Libc.RLIMIT_NOFILE, limit) != 0)
            {
                return Failed($"setrlimit(RLIMIT_NOFILE, {target})");
            }
        }

        return null;
    }

    [SupportedOSPlatform("linux")]
    private static string? SetNotDumpable()
        => Interop.Libc.prctl(Interop.Libc.PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ? Failed("prctl(PR_SET_DUMPABLE, 0)") : null;

    [SupportedOSPlatform("linux")]
    private static string? SwitchUser(uint userId, uint groupId)
    {
        // Groups first, then the group id, then the user id: after the user id changes the process no longer has
        // the privilege to change the others. glibc and musl run each of these on every thread of the process.
        if (Interop.Libc.setgroups(0, 0) != 0)
        {
            return Failed("setgroups(0)");
        }

        if (Interop.Libc.setresgid(groupId, groupId, groupId) != 0)
        {
            return Failed($"setresgid({groupId})");
        }

        if (Interop.Libc.setresuid(userId, userId, userId) != 0)
        {
            return Failed($"setresuid({userId})");
        }

        // Proof rather than trust: regaining root must now fail.
        if (userId != 0 && Interop.Libc.setresuid(0, 0, 0) == 0)
        {
            return $"setresuid(0) still succeeds after switching to user {userId}";
        }

        return null;
    }

    [SupportedOSPlatform("windows")]
    private static string? ApplyWindows(WorkerHardeningRequest request)
    {
        if (request.DisableCoreDumps)
        {
            // No Windows Error Reporting dialog or critical-error box for a crashing worker. Machine-wide WER dump
            // policies (LocalDumps) are an administrator's decision and still apply.
            _ = Interop.Kernel32.SetErrorMode(Interop.Kernel32.SEM_FAILCRITICALERRORS | Interop.Kernel32.SEM_NOGPFAULTERRORBOX | Interop.Kernel32.SEM_NOOPENFILEERRORBOX);
        }

        // Legacy extension points (AppInit DLLs, winsock layered providers, IMEs, window hooks) load third-party code
        // into every process that allows them; the worker needs none of them. Bit 0 is DisableExtensionPoints. Best
        // effort: no option asks for it, and this path is only compiled, not tested, so it must not stop a worker.
        const uint disableExtensionPoints = 1;
        _ = Interop.Kernel32.SetProcessMitigationPolicy(Interop.Kernel32.ProcessExtensionPointDisablePolicy, disableExtensionPoints, sizeof(uint));
        return null;
    }

    private static string Failed(string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        return $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// Marks every descriptor of the supervisor above 2 close-on-exec, so that a worker inherits nothing but the three
/// standard streams. .NET 10's <c>Process.Start</c> on Linux does not do it: its child only <c>dup2</c>s the
/// redirected streams onto 0–2 and then <c>execve</c>s, so any descriptor that native code opened without
/// <c>O_CLOEXEC</c> (.NET itself always sets it) crosses into the worker. The opt-in that restricts inheritance in
/// the child (<c>ProcessStartInfo.InheritedHandles</c>) arrives after .NET 10.
/// </summary>
/// <remarks>
/// <para>Races, and why they are acceptable:</para>
/// <list type="bullet">
/// <item><c>close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)</c> marks the one descriptor table all threads share, atomically
/// under the kernel's table lock: every descriptor open at that instant is covered.</item>
/// <item>A descriptor another thread opens without <c>O_CLOEXEC</c> after the mark and before the worker's
/// <c>fork</c> still leaks. Only native code does that, and the window is microseconds; closing it entirely needs
/// work in the child between <c>fork</c> and <c>exec</c>, which only the runtime (or the post-.NET 10 API) can do.</item>
/// <item>The fallback walks <c>/proc/self/fd</c> and sets <c>FD_CLOEXEC</c> on each entry. A descriptor closed meanwhile
/// fails with <c>EBADF</c> (ignored); a number reused meanwhile gets the flag (the intent anyway). <c>FD_CLOEXEC</c> is
/// the only descriptor flag, so <c>F_SETFD</c> writes it without a read-modify-write race.</item>
/// <item>Concurrent worker starts mark concurrently; the operation is idempotent.</item>
/// <item>The streams .NET creates for the child are <c>O_CLOEXEC</c> already and become 0–2 through <c>dup2</c>,
/// which clears the flag on the copy, so they are unaffected.</item>
/// </list>
/// <para>The effect is process-wide and permanent: a host that deliberately lets programs it starts itself inherit
/// a descriptor must turn <see cref="Isolation.HardeningOptions.MarkDescriptorsCloseOnExec"/> off.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class DescriptorSealer
{
    /// <summary>Marks every descriptor above 2 close-on-exec.</summary>
    /// <returns><see langword="null"/> on success; otherwise what failed.</returns>
    public static string? MarkAllCloseOnExec()
    {
        try
        {
            if (HardeningInterop.CloseRange(3, uint.MaxValue, HardeningInterop.CLOSE_RANGE_CLOEXEC) == 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // A C library older than glibc 2.34: walk the table instead.
        }

        return MarkEachCloseOnExec();
    }

    /// <summary>The fallback: sets <c>FD_CLOEXEC</c> on each descriptor listed in <c>/proc/self/fd</c>.</summary>
    /// <returns><see langword="null"/> on success; otherwise what failed.</returns>
    internal static string? MarkEachCloseOnExec()
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries("/proc/self/fd");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot list /proc/self/fd: {ex.Message}";
        }

        var failures = new List<string>();
        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd < 3)
            {
                continue;
            }

            if (HardeningInterop.Fcntl(fd, HardeningInterop.F_SETFD, HardeningInterop.FD_CLOEXEC) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != HardeningInterop.EBADF)
                {
                    failures.Add($"fd {fd}: errno {errno}");
                }
            }
        }

        return failures.Count == 0 ? null : "fcntl(F_SETFD, FD_CLOEXEC) failed for " + string.Join(", ", failures);
    }

    /// <summary>Reads whether a descriptor is marked close-on-exec.</summary>
    /// <param name="fd">The descriptor.</param>
    /// <returns><see langword="true"/> when marked; <see langword="null"/> when it is not open.</returns>
    internal static bool? IsCloseOnExec(int fd)
    {
        var flags = HardeningInterop.Fcntl(fd, HardeningInterop.F_GETFD, 0);
        return flags < 0 ? null : (flags & HardeningInterop.FD_CLOEXEC) != 0;
    }
}

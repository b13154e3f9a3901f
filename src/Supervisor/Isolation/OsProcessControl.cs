using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The operating system's processes: kill(2) and <c>/proc</c> on Linux, <see cref="Process"/> elsewhere.</summary>
internal sealed class OsProcessControl : IProcessControl
{
    /// <summary>Initializes a new instance of the <see cref="OsProcessControl"/> class; use <see cref="Instance"/>.</summary>
    private OsProcessControl()
    {
    }

    /// <summary>Gets the one instance.</summary>
    public static OsProcessControl Instance { get; } = new();

    /// <inheritdoc/>
    public int CurrentProcessId => Environment.ProcessId;

    /// <inheritdoc/>
    public bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (OperatingSystem.IsLinux())
        {
            // Signal 0 checks existence without sending anything; EPERM means it exists but belongs to someone else.
            return Interop.Libc.Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == Interop.Libc.EPERM;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Kill(int pid)
    {
        if (pid <= 0)
        {
            return;
        }

        if (OperatingSystem.IsLinux())
        {
            // ESRCH (already gone) and EPERM (not ours to kill) leave nothing to do; this method never throws.
            _ = Interop.Libc.Kill(pid, Interop.Libc.SIGKILL);
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            // Gone already, or not ours to kill.
        }
    }

    /// <inheritdoc/>
    public long? ReadResidentBytes(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return ReadStatmResident(pid);
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.WorkingSet64;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Reads the second field of <c>/proc/&lt;pid&gt;/statm</c> (resident pages) without allocating strings.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The resident bytes, or <see langword="null"/> when the process is gone.</returns>
    internal static long? ReadStatmResident(int pid)
    {
        Span<byte> buffer = stackalloc byte[128];
        int length;
        try
        {
            using SafeFileHandle handle = File.OpenHandle(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/statm"));
            length = RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return ParseStatmResidentPages(buffer[..length]) is { } pages ? pages * Environment.SystemPageSize : null;
    }

    /// <summary>Parses the resident page count, the second number of a <c>statm</c> line.</summary>
    /// <param name="statm">The line.</param>
    /// <returns>The page count, or <see langword="null"/> when the line is malformed (an exited process reads empty).</returns>
    internal static long? ParseStatmResidentPages(ReadOnlySpan<byte> statm)
    {
        var space = statm.IndexOf((byte)' ');
        if (space < 0)
        {
            return null;
        }

        var rest = statm[(space + 1)..];
        var end = rest.IndexOfAny((byte)' ', (byte)'\n');
        var digits = end < 0 ? rest : rest[..end];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var pages) ? pages : null;
    }
}

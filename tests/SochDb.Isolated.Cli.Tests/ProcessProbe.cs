using System.Diagnostics;
using System.Globalization;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>Checks processes the test did not start (workers), including ones whose parent is gone.</summary>
internal static class ProcessProbe
{
    /// <summary>Whether the process runs. On Linux a zombie counts as gone: it has exited, and when its parent died the
    /// container's init may be slow (or unable) to reap it.</summary>
    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            }
            catch (IOException)
            {
                return false;
            }

            // "pid (comm) S ...": the state follows the last ')', since comm may contain anything.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X' or 'x');
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Waits until the process is gone.</summary>
    /// <returns><see langword="true"/> if it went within <paramref name="bound"/>.</returns>
    public static async Task<bool> WaitUntilGoneAsync(int pid, TimeSpan bound)
    {
        var watch = Stopwatch.StartNew();
        while (IsAlive(pid))
        {
            if (watch.Elapsed > bound)
            {
                return false;
            }

            await Task.Delay(25);
        }

        return true;
    }

    /// <summary>Kills the process if it still runs (test clean-up).</summary>
    public static void KillIfAlive(int pid)
    {
        if (!IsAlive(pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone in the meantime.
        }
    }
}

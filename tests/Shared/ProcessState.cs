using System.Diagnostics;

namespace SochDb.Isolated.Tests;

/// <summary>Whether a process a test started (or a worker it watches) is still running.</summary>
internal static class ProcessState
{
    /// <summary>Gets whether the process exists and has not exited.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns><see langword="true"/> while it runs.</returns>
    public static bool IsRunning(int pid)
    {
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
}

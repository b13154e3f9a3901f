namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The process operations the isolation layer needs: its own id, liveness, SIGKILL, and resident memory.</summary>
/// <remarks>A seam so that tests can drive the cgroup code and the watchdog with fake processes.</remarks>
internal interface IProcessControl
{
    /// <summary>Gets the supervisor's own process id.</summary>
    int CurrentProcessId { get; }

    /// <summary>Gets a value indicating whether a process with this id exists (a zombie counts as existing).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns><see langword="true"/> when it exists.</returns>
    bool IsAlive(int pid);

    /// <summary>Kills a process at once (SIGKILL). Never throws; a process that is already gone is not an error.</summary>
    /// <param name="pid">The process id.</param>
    void Kill(int pid);

    /// <summary>Reads a process's resident memory.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The resident bytes, or <see langword="null"/> when the process is gone.</returns>
    long? ReadResidentBytes(int pid);
}

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// The OS container of one worker (a cgroup, a job object, or a watched process). It owns the OS objects it
/// created and removes them on dispose, after killing whatever is still inside.
/// </summary>
internal interface IWorkerGroup : IAsyncDisposable
{
    /// <summary>Gets a name for logs: the cgroup path(s) or the job name.</summary>
    string Name { get; }

    /// <summary>Places a freshly started process in the group, before it runs any plugin code.</summary>
    /// <param name="pid">The process id.</param>
    /// <exception cref="IsolationException">The process could not be placed.</exception>
    void Add(int pid);

    /// <summary>
    /// Replaces the group's limits while its process runs: a warm pooled worker, started under default limits, gets
    /// its plugin's limits when it is adopted, before any plugin byte reaches it. Only the values that differ are written.
    /// </summary>
    /// <param name="limits">The new limits.</param>
    /// <exception cref="IsolationException">A limit could not be written (e.g. the kernel refused a memory limit below what the group already uses).</exception>
    void SetLimits(WorkerLimits limits);

    /// <summary>Kills every process in the group at once (group kill, job termination, or SIGKILL). Never throws.</summary>
    void Kill();

    /// <summary>Reads memory use and the OOM-kill count. Never throws: unknown values are <see langword="null"/> or zero.</summary>
    /// <returns>The snapshot.</returns>
    WorkerGroupSnapshot Read();
}

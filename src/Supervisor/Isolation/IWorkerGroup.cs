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

    /// <summary>Kills every process in the group at once (group kill, job termination, or SIGKILL). Never throws.</summary>
    void Kill();

    /// <summary>Reads memory use and the OOM-kill count. Never throws: unknown values are <see langword="null"/> or zero.</summary>
    /// <returns>The snapshot.</returns>
    WorkerGroupSnapshot Read();
}

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// One supervisor's isolation mechanism: it creates a group per worker beneath the supervisor's own place in the
/// OS hierarchy (never elsewhere) and removes its parent group on dispose.
/// </summary>
internal interface IWorkerIsolation : IAsyncDisposable
{
    /// <summary>Gets the mechanism in force (never <see cref="IsolationMode.Auto"/>).</summary>
    IsolationMode Mode { get; }

    /// <summary>Gets a one-line description for logs and stats, e.g. where the groups live.</summary>
    string Description { get; }

    /// <summary>Creates the group for one worker, with its limits written, before the worker is placed in it.</summary>
    /// <param name="name">A unique, file-name-safe name for the worker.</param>
    /// <param name="limits">The limits.</param>
    /// <returns>The group; the caller owns it.</returns>
    /// <exception cref="IsolationException">The group could not be created or a limit could not be written.</exception>
    IWorkerGroup CreateGroup(string name, WorkerLimits limits);
}

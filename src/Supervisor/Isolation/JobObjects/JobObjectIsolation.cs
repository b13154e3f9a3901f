using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>Workers in Windows job objects, one anonymous job per worker (see <see cref="JobObjectGroup"/>).</summary>
/// <remarks>
/// The jobs are anonymous and owned by the supervisor's handles, so there is nothing to clean up after a crash: the
/// kernel closes the handles, and kill on close ends the workers. Thread-safe.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class JobObjectIsolation : IWorkerIsolation
{
    private readonly ILogger logger;
    private readonly OwnedGroups<JobObjectGroup> groups = new();

    /// <summary>Initializes a new instance of the <see cref="JobObjectIsolation"/> class.</summary>
    /// <param name="logger">The logger.</param>
    public JobObjectIsolation(ILogger logger)
    {
        this.logger = logger;
    }

    /// <inheritdoc/>
    public IsolationMode Mode => IsolationMode.JobObject;

    /// <inheritdoc/>
    public string Description => "one Windows job object per worker (kill on close, job memory, active processes, hard CPU cap)";

    /// <summary>Checks that this process may create and limit a job, by creating one and closing it.</summary>
    /// <param name="logger">The logger.</param>
    /// <returns>The isolation.</returns>
    /// <exception cref="IsolationException">Job objects cannot be used; the message says why.</exception>
    public static JobObjectIsolation Create(ILogger logger)
    {
        JobObjectGroup.Create("probe", new WorkerLimits(64L * 1024 * 1024, 1, 1), logger, static _ => { }).Close();
        return new JobObjectIsolation(logger);
    }

    /// <inheritdoc/>
    public IWorkerGroup CreateGroup(string name, WorkerLimits limits)
    {
        SupervisorGroupNames.ValidateWorkerName(name);
        ArgumentNullException.ThrowIfNull(limits);
        return groups.Create(this, forget => JobObjectGroup.Create(name, limits, logger, forget));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await groups.CloseAsync().ConfigureAwait(false);
}

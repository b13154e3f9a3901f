using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>One worker watched by the <see cref="WatchdogIsolation"/>: its pids, last and peak resident memory, and kills.</summary>
/// <remarks>Thread-safe: the poll loop and the owner use it concurrently.</remarks>
internal sealed class WatchdogGroup : IWorkerGroup
{
    private readonly IProcessControl processes;
    private readonly ILogger logger;
    private readonly Action<WatchdogGroup> removed;
    private readonly Lock gate = new();
    private readonly List<int> pids = [];
    private WorkerLimits limits;
    private long? current;
    private long? peak;
    private long oomKills;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="WatchdogGroup"/> class.</summary>
    /// <param name="name">The worker's name.</param>
    /// <param name="limits">The limits; only <see cref="WorkerLimits.MemoryBytes"/> is enforced.</param>
    /// <param name="processes">Reads resident memory and kills.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="removed">Called once the group is disposed.</param>
    public WatchdogGroup(string name, WorkerLimits limits, IProcessControl processes, ILogger logger, Action<WatchdogGroup> removed)
    {
        Name = "watchdog:" + name;
        this.limits = limits;
        this.processes = processes;
        this.logger = logger;
        this.removed = removed;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public void Add(int pid)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!processes.IsAlive(pid))
            {
                throw new IsolationException($"Process {pid} is not running; it cannot be watched.");
            }

            if (!pids.Contains(pid))
            {
                pids.Add(pid);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Only the memory limit is enforced; the next poll applies it.</remarks>
    public void SetLimits(WorkerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            this.limits = limits;
        }

        IsolationLog.GroupLimitsChanged(logger, Name, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
    }

    /// <inheritdoc/>
    public void Kill()
    {
        int[] targets;
        lock (gate)
        {
            targets = [.. pids];
        }

        foreach (var pid in targets)
        {
            processes.Kill(pid);
        }
    }

    /// <inheritdoc/>
    public WorkerGroupSnapshot Read()
    {
        lock (gate)
        {
            return new WorkerGroupSnapshot(current, peak, oomKills, limits.MemoryBytes);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        lock (gate)
        {
            if (disposed)
            {
                return ValueTask.CompletedTask;
            }

            disposed = true;
        }

        Kill();
        removed(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Samples every watched process once; past the limit, kills them all and counts one OOM kill. A process that
    /// is gone (or killed) is no longer watched, so one overshoot is counted once and a reused pid is never signalled
    /// after its first owner was seen gone.
    /// </summary>
    internal void Poll()
    {
        int[] watched;
        lock (gate)
        {
            if (disposed || pids.Count == 0)
            {
                return;
            }

            watched = [.. pids];
        }

        var total = 0L;
        var live = new List<int>(watched.Length);
        foreach (var pid in watched)
        {
            if (processes.ReadResidentBytes(pid) is { } bytes)
            {
                total += bytes;
                live.Add(pid);
            }
        }

        long limit;
        lock (gate)
        {
            limit = limits.MemoryBytes;
        }

        var exceeded = live.Count > 0 && total > limit;
        if (exceeded)
        {
            foreach (var pid in live)
            {
                processes.Kill(pid);
            }
        }

        lock (gate)
        {
            pids.RemoveAll(pid => !live.Contains(pid) || exceeded);
            current = live.Count > 0 ? total : null;
            peak = live.Count > 0 ? Math.Max(peak ?? 0, total) : peak;
            if (exceeded)
            {
                oomKills++;
            }
        }

        if (exceeded)
        {
            IsolationLog.WatchdogKilled(logger, Name, total, limit);
        }
    }
}

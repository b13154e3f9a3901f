using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// The fallback when no OS mechanism is usable: one timer loop samples every watched worker's resident memory
/// (<c>/proc/&lt;pid&gt;/statm</c> on Linux, the working set elsewhere) each <see cref="IsolationOptions.WatchdogInterval"/>
/// and SIGKILLs a worker past its memory limit, counting it as an OOM kill.
/// </summary>
/// <remarks>
/// Weaker than the kernel's limits: an allocation burst can overshoot between two polls, resident memory counts
/// shared file pages that a cgroup would not charge, and nothing limits processes or CPU (both are left to Wasmtime's
/// fuel and epochs). One loop serves every group, so 50 workers cost one wake-up and 50 small reads per interval.
/// Thread-safe.
/// </remarks>
internal sealed class WatchdogIsolation : IWorkerIsolation
{
    private readonly TimeSpan interval;
    private readonly IsolationPlatform platform;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;
    /// <summary>The groups the loop polls; replaced, never mutated, so the loop reads it without the lock.</summary>
    private WatchdogGroup[] groups = [];
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="WatchdogIsolation"/> class and starts its loop.</summary>
    /// <param name="interval">How often to sample.</param>
    /// <param name="platform">The host: processes and clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="startLoop"><see langword="false"/> in tests that call <see cref="Poll"/> themselves.</param>
    public WatchdogIsolation(TimeSpan interval, IsolationPlatform platform, ILogger logger, bool startLoop = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        this.interval = interval;
        this.platform = platform;
        this.logger = logger;
        loop = startLoop ? RunAsync() : Task.CompletedTask;
    }

    /// <inheritdoc/>
    public IsolationMode Mode => IsolationMode.Watchdog;

    /// <inheritdoc/>
    public string Description => $"memory watchdog every {interval.TotalMilliseconds:F0} ms (no process or CPU limit)";

    /// <inheritdoc/>
    public IWorkerGroup CreateGroup(string name, WorkerLimits limits)
    {
        SupervisorGroupNames.ValidateWorkerName(name);
        ArgumentNullException.ThrowIfNull(limits);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var group = new WatchdogGroup(name, limits, platform.Processes, logger, Forget);

            // Copy on write: the loop reads the array without taking the lock.
            groups = [.. groups, group];
            return group;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        WatchdogGroup[] left;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            left = groups;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var group in left)
        {
            await group.DisposeAsync().ConfigureAwait(false);
        }

        stopping.Dispose();
    }

    /// <summary>Samples every group once. Internal for testing.</summary>
    internal void Poll()
    {
        foreach (var group in Volatile.Read(ref groups))
        {
            group.Poll();
        }
    }

    /// <summary>Polls every interval until the isolation is disposed.</summary>
    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(interval, platform.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    Poll();
                }
                catch (Exception ex)
                {
                    // The loop is the only protection in this mode: one failed sample must not end it.
                    IsolationLog.WatchdogPollFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Drops a disposed group from the ones the loop polls.</summary>
    private void Forget(WatchdogGroup group)
    {
        lock (gate)
        {
            groups = [.. groups.Where(g => g != group)];
        }
    }
}

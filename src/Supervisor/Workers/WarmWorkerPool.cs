using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// Pre-started, handshaken, empty workers, already in their OS groups, that loads adopt instead of spawning one.
/// A worker leaves the pool for good: it serves the plugin that adopted it for its whole life and is never returned.
/// </summary>
/// <remarks>
/// <para>
/// One background loop refills the pool, one worker at a time and through the supervisor's start slots, so a refill
/// never takes more than one slot from real loads. A failed start is retried after a doubling delay (1 s to 1 min),
/// so a missing worker binary does not spin. Idle workers keep their heartbeats: one that hangs is killed by it, and
/// one that dies for any reason is dropped and replaced.
/// </para>
/// <para>
/// The pool owns its idle workers; taking one hands ownership to the caller. Thread-safe.
/// </para>
/// </remarks>
internal sealed class WarmWorkerPool : IAsyncDisposable
{
    /// <summary>The name an idle worker goes by in logs until it is adopted; never a valid plugin id.</summary>
    internal const string IdleName = "(warm pool)";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromMinutes(1);

    private readonly int size;
    private readonly Func<CancellationToken, Task<WorkerProcess>> startIdle;
    private readonly SemaphoreSlim startSlots;
    private readonly TimeSpan stopBudget;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly List<WorkerProcess> idle = [];
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Wakes the refill loop; one pending signal is enough, so further ones are dropped.</summary>
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task refill;
    private long adoptions;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="WarmWorkerPool"/> class and starts filling it in the background.</summary>
    /// <param name="size">How many idle workers to keep; 0 makes a pool that never holds any.</param>
    /// <param name="startIdle">Starts one empty, handshaken worker under the default limits.</param>
    /// <param name="startSlots">The supervisor's bound on worker starts in flight; a refill holds one slot at most.</param>
    /// <param name="stopBudget">The polite stop budget for idle workers when the pool is disposed.</param>
    /// <param name="logger">The logger.</param>
    internal WarmWorkerPool(int size, Func<CancellationToken, Task<WorkerProcess>> startIdle, SemaphoreSlim startSlots, TimeSpan stopBudget, ILogger logger)
    {
        this.size = size;
        this.startIdle = startIdle;
        this.startSlots = startSlots;
        this.stopBudget = stopBudget;
        this.logger = logger;
        if (size == 0)
        {
            refill = Task.CompletedTask;
            return;
        }

        PoolLog.Started(logger, size);
        refill = Task.Run(RefillAsync);
    }

    /// <summary>Gets the idle workers now (alive ones only).</summary>
    public int IdleCount
    {
        get
        {
            lock (gate)
            {
                return idle.Count(w => !w.HasExited && !w.IsStopping);
            }
        }
    }

    /// <summary>Gets how many workers plugins adopted from the pool.</summary>
    public long Adoptions => Interlocked.Read(ref adoptions);

    /// <summary>Gets the process ids of the idle workers now (for tests and diagnostics).</summary>
    internal IReadOnlyList<int> IdlePids
    {
        get
        {
            lock (gate)
            {
                return [.. idle.Where(w => !w.HasExited && !w.IsStopping).Select(w => w.Pid)];
            }
        }
    }

    /// <summary>
    /// Creates the pool of a supervisor: idle workers start under the limits of a plugin whose manifest sets none
    /// (<see cref="ResourceLimits.MemoryLimitBytes"/> by default plus the runtime allowance) and get their plugin's at adoption.
    /// </summary>
    /// <param name="options">The supervisor options; <see cref="PluginSupervisorOptions.WarmPoolSize"/> is the size.</param>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <param name="engineSettings">The engine settings workers must use.</param>
    /// <param name="engineHash">Their hash.</param>
    /// <param name="isolation">Creates each worker's OS group.</param>
    /// <param name="startSlots">The supervisor's bound on worker starts in flight.</param>
    /// <param name="logger">The supervisor's logger.</param>
    /// <returns>The pool, already filling.</returns>
    internal static WarmWorkerPool Create(PluginSupervisorOptions options, string workerPath, EngineSettings engineSettings, string engineHash, IWorkerIsolation isolation, SemaphoreSlim startSlots, ILogger logger)
    {
        var limits = WorkerLimits.For(new ResourceLimits().MemoryLimitBytes, options.Isolation);
        return new WarmWorkerPool(
            options.WarmPoolSize,
            cancellationToken => StartPrewarmedAsync(IdleName, workerPath, options, engineSettings, engineHash, logger, isolation, limits, cancellationToken),
            startSlots,
            options.WorkerStopTimeout,
            logger);
    }

    /// <summary>
    /// Starts an idle worker and has it run the load and call path once on a built-in module, so an adoption does not
    /// pay the worker's first-use costs (JIT of the load, instantiation, call and host-call code) inside a plugin's load.
    /// </summary>
    private static async Task<WorkerProcess> StartPrewarmedAsync(string name, string workerPath, PluginSupervisorOptions options, EngineSettings engineSettings, string engineHash, ILogger logger, IWorkerIsolation isolation, WorkerLimits limits, CancellationToken cancellationToken)
    {
        var worker = await WorkerProcess.StartAsync(name, workerPath, options, engineSettings, engineHash, logger, null, isolation, limits, cancellationToken).ConfigureAwait(false);
        try
        {
            await worker.PrewarmAsync(options.WorkerStartTimeout).WaitAsync(cancellationToken).ConfigureAwait(false);
            return worker;
        }
        catch
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Takes an idle worker for a plugin, if there is one: applies the plugin's limits and binds its host calls, then
    /// wakes the refill. Cheap: a list removal and a few writes to the group's limit files.
    /// </summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="hostCalls">Answers the plugin's host calls.</param>
    /// <param name="limits">The plugin's OS limits.</param>
    /// <returns>The adopted worker, now owned by the caller, or <see langword="null"/>: start a worker as usual.</returns>
    public async ValueTask<WorkerProcess?> TryAdoptAsync(string pluginId, Func<HostCallRequest, CancellationToken, Task<HostCallResponse>> hostCalls, WorkerLimits limits)
    {
        if (size == 0)
        {
            return null;
        }

        var started = Stopwatch.GetTimestamp();
        WorkerProcess? worker;
        int left;
        lock (gate)
        {
            // Oldest first; dead ones stay for their exit watcher, which owns dropping them.
            worker = idle.Find(w => !w.HasExited && !w.IsStopping);
            if (worker is not null)
            {
                idle.Remove(worker);
            }

            left = idle.Count;
        }

        Signal();
        if (worker is null)
        {
            return null;
        }

        try
        {
            worker.Adopt(pluginId, hostCalls, limits);
        }
        catch (IsolationException ex)
        {
            // The group refused the plugin's limits (say, a memory limit below what the idle worker already uses):
            // the worker is unusable, and a cold start reports the same problem in the plugin's own terms.
            PoolLog.AdoptFailed(logger, pluginId, worker.Pid, ex.Message);
            await worker.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        Interlocked.Increment(ref adoptions);
        PoolLog.Adopted(logger, pluginId, worker.Pid, Stopwatch.GetElapsedTime(started).TotalMilliseconds, left);
        return worker;
    }

    /// <inheritdoc/>
    /// <remarks>Stops the refill (cancelling a start in flight, whose worker is killed) and every idle worker.</remarks>
    public async ValueTask DisposeAsync()
    {
        WorkerProcess[] left;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            left = [.. idle];
            idle.Clear();
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        // The loop ends on cancellation and handles its own failures; suppressing keeps shutdown going regardless.
        await refill.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(left.Select(w => w.StopAsync(stopBudget))).ConfigureAwait(false);
        PoolLog.Stopped(logger, left.Length, Adoptions);
        stopping.Dispose();
    }

    private static TimeSpan RetryDelay(int failures)
        => TimeSpan.FromTicks(Math.Min(LastRetry.Ticks, FirstRetry.Ticks << Math.Min(failures - 1, 16)));

    private void Signal() => wake.Writer.TryWrite(true);

    private async Task RefillAsync()
    {
        var token = stopping.Token;
        var failures = 0;
        try
        {
            while (true)
            {
                if (IdleCount >= size)
                {
                    await wake.Reader.ReadAsync(token).ConfigureAwait(false);
                    continue;
                }

                WorkerProcess? worker = null;
                string? failure = null;
                await startSlots.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    worker = await startIdle(token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    // Any failure, expected (a PluginException) or not: the loop must outlive it and retry later, or
                    // the pool would silently stay empty.
                    failure = ex is PluginException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                }
                finally
                {
                    startSlots.Release();
                }

                if (worker is null)
                {
                    failures++;
                    var delay = RetryDelay(failures);
                    PoolLog.RefillFailed(logger, failures, delay.TotalMilliseconds, failure ?? "unknown");
                    await Task.Delay(delay, token).ConfigureAwait(false);
                    continue;
                }

                failures = 0;
                if (!TryAdd(worker))
                {
                    // Disposed while the worker started: the pool's dispose awaits this loop, so stopping it here
                    // leaves nothing behind.
                    await worker.StopAsync(stopBudget).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed: a start in flight was cancelled, and its worker killed and reaped by the start itself.
        }
    }

    /// <summary>Adds a started worker unless the pool is disposed, and watches it while it is idle.</summary>
    private bool TryAdd(WorkerProcess worker)
    {
        int count;
        lock (gate)
        {
            if (disposed)
            {
                return false;
            }

            idle.Add(worker);
            count = idle.Count;
        }

        _ = DropWhenDeadAsync(worker);
        if (count >= size)
        {
            PoolLog.Filled(logger, count);
        }

        return true;
    }

    /// <summary>Drops an idle worker that dies (crash, or a heartbeat kill) and wakes the refill; adopted workers are left alone.</summary>
    private async Task DropWhenDeadAsync(WorkerProcess worker)
    {
        await worker.Exited.ConfigureAwait(false);
        lock (gate)
        {
            if (!idle.Remove(worker))
            {
                return;
            }
        }

        PoolLog.IdleWorkerDied(logger, worker.Pid, worker.ExitReason, worker.ExitCode);
        await worker.DisposeAsync().ConfigureAwait(false);
        Signal();
    }
}

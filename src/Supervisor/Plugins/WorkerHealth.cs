using System.Diagnostics;

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A plugin's worker failure history: the input of <see cref="RestartPolicy"/>, the earliest time the next
/// replacement may start, and the quarantine the crash-loop breaker imposes. Thread-safe.
/// </summary>
internal sealed class WorkerHealth
{
    private readonly Lock sync = new();
    private readonly List<TimeSpan> failures = [];
    private TimeSpan notBefore;
    private long restarts;
    private WorkerExitReason lastExitReason;
    private int? lastExitCode;
    private string? quarantineReason;

    /// <summary>Gets the monotonic clock the history is kept on.</summary>
    public static TimeSpan Now => Stopwatch.GetElapsedTime(0);

    /// <summary>Gets how many replacement workers were started.</summary>
    public long Restarts => Interlocked.Read(ref restarts);

    /// <summary>Gets how the last worker ended (<see cref="WorkerExitReason.None"/> if none has).</summary>
    public WorkerExitReason LastExitReason
    {
        get
        {
            lock (sync)
            {
                return lastExitReason;
            }
        }
    }

    /// <summary>Gets the last worker's exit code, if it ended.</summary>
    public int? LastExitCode
    {
        get
        {
            lock (sync)
            {
                return lastExitCode;
            }
        }
    }

    /// <summary>Gets why the plugin is quarantined, or <see langword="null"/> when it is not.</summary>
    public string? QuarantineReason
    {
        get
        {
            lock (sync)
            {
                return quarantineReason;
            }
        }
    }

    /// <summary>Records a worker's end and decides what follows; a quarantine decision takes effect here.</summary>
    /// <param name="reason">How it ended.</param>
    /// <param name="exitCode">Its exit code, if known.</param>
    /// <param name="options">The policy.</param>
    /// <returns>The decision.</returns>
    public RestartDecision Record(WorkerExitReason reason, int? exitCode, RestartPolicyOptions options)
    {
        var now = Now;
        lock (sync)
        {
            lastExitReason = reason;
            lastExitCode = exitCode;
            var decision = RestartPolicy.Decide(reason, failures, now, options, Random.Shared.NextDouble());
            if (!RestartPolicy.IsFailure(reason))
            {
                return decision;
            }

            failures.Add(now);
            failures.RemoveAll(t => t <= now - options.FailureWindow);
            if (decision.Action == RestartAction.Quarantine)
            {
                quarantineReason ??= decision.Reason;
            }
            else
            {
                notBefore = now + decision.Delay;
            }

            return decision;
        }
    }

    /// <summary>Gets how long a replacement must still wait for its backoff to pass.</summary>
    /// <returns>Zero when it may start now.</returns>
    public TimeSpan RemainingBackoff()
    {
        lock (sync)
        {
            var left = notBefore - Now;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Counts a replacement start.</summary>
    /// <returns>The number of restarts so far.</returns>
    public long CountRestart() => Interlocked.Increment(ref restarts);

    /// <summary>Lifts the quarantine and forgets the failure history (an operator's reset, or a new generation).</summary>
    /// <returns><see langword="true"/> if the plugin was quarantined.</returns>
    public bool Reset()
    {
        lock (sync)
        {
            var was = quarantineReason is not null;
            quarantineReason = null;
            failures.Clear();
            notBefore = TimeSpan.Zero;
            return was;
        }
    }
}

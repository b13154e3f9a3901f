using System.Diagnostics;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Worker;

/// <summary>
/// A batch's shared budgets: the fuel left of the plugin's lifetime budget and the batch's wall-clock time. Each row
/// gets the smaller of its own limit and what is left; a row that finds either spent fails without running.
/// </summary>
/// <param name="fuelBudget">The fuel the whole batch may consume.</param>
/// <param name="batchTimeoutMs">The whole batch's wall-clock budget in milliseconds.</param>
internal sealed class BatchBudget(long fuelBudget, long batchTimeoutMs)
{
    private readonly long started = Stopwatch.GetTimestamp();
    private long fuelLeft = fuelBudget;

    /// <summary>Gets the fuel the batch's rows consumed so far.</summary>
    public long FuelConsumed { get; private set; }

    /// <summary>Gives the next row its limits, or the error it fails with because a budget is spent.</summary>
    /// <param name="rowFuel">The per-row fuel limit.</param>
    /// <param name="rowTimeoutMs">The per-row timeout.</param>
    /// <param name="now">The row's start, a <see cref="Stopwatch"/> timestamp.</param>
    /// <param name="fuel">The row's fuel.</param>
    /// <param name="timeoutMs">The row's timeout.</param>
    /// <returns><see langword="null"/> when the row may run; otherwise its error.</returns>
    public WorkerError? StartRow(long rowFuel, long rowTimeoutMs, long now, out long fuel, out long timeoutMs)
    {
        fuel = Math.Min(rowFuel, fuelLeft);
        timeoutMs = batchTimeoutMs - (long)Stopwatch.GetElapsedTime(started, now).TotalMilliseconds;
        if (fuel <= 0)
        {
            // The lifetime budget is spent: the row fails as a single call would, without running.
            return new WorkerError { Kind = ErrorKind.FuelExhausted, Message = "the plugin's lifetime fuel budget is spent" };
        }

        if (timeoutMs <= 0)
        {
            // Stop before the supervisor's deadline would kill the worker and lose every row's answer.
            return new WorkerError { Kind = ErrorKind.Timeout, Message = "the batch's time budget was spent before this row ran" };
        }

        timeoutMs = Math.Min(rowTimeoutMs, timeoutMs);
        return null;
    }

    /// <summary>Takes what a row consumed off the budget.</summary>
    /// <param name="fuel">The row's fuel.</param>
    public void Consumed(long fuel)
    {
        fuelLeft -= fuel;
        FuelConsumed += fuel;
    }
}

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A plugin's lifetime fuel budget, as in the original runtime: each call gets the smaller of its per-call limit and
/// what is left, consumption is subtracted, and a reset refills it.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class FuelBudget
{
    private long remaining;

    /// <summary>Initializes a new instance of the <see cref="FuelBudget"/> class.</summary>
    /// <param name="total">The budget.</param>
    public FuelBudget(long total)
    {
        Total = total;
        remaining = total;
    }

    /// <summary>Gets the full budget.</summary>
    public long Total { get; }

    /// <summary>Gets the fuel left.</summary>
    public long Remaining => Interlocked.Read(ref remaining);

    /// <summary>Computes the fuel the next call may use.</summary>
    /// <param name="perCallLimit">The manifest's per-call <c>fuel_limit</c>.</param>
    /// <returns>The fuel for the call; 0 when the budget is spent.</returns>
    public long ForNextCall(long perCallLimit) => Math.Max(0, Math.Min(perCallLimit, Remaining));

    /// <summary>Subtracts what a call consumed.</summary>
    /// <param name="consumed">The fuel consumed.</param>
    public void Consume(long consumed)
    {
        long current, next;
        do
        {
            current = Interlocked.Read(ref remaining);
            next = Math.Max(0, current - Math.Max(0, consumed));
        }
        while (Interlocked.CompareExchange(ref remaining, next, current) != current);
    }

    /// <summary>Refills the budget.</summary>
    public void Reset() => Interlocked.Exchange(ref remaining, Total);
}

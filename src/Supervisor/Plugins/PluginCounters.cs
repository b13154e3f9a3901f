namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>The counters of one plugin generation. Updated with interlocked operations; read as a snapshot.</summary>
internal sealed class PluginCounters
{
    /// <summary>The calls made.</summary>
    public long TotalCalls;

    /// <summary>The successful calls.</summary>
    public long SuccessfulCalls;

    /// <summary>The failed calls.</summary>
    public long FailedCalls;

    /// <summary>The fuel consumed.</summary>
    public long FuelConsumed;

    /// <summary>The guest time in microseconds.</summary>
    public long ExecutionMicroseconds;

    /// <summary>The peak linear memory.</summary>
    public long PeakMemoryBytes;

    /// <summary>The fuel exhaustions.</summary>
    public long FuelExhaustions;

    /// <summary>The timeouts.</summary>
    public long Timeouts;

    /// <summary>The memory violations.</summary>
    public long MemoryViolations;

    /// <summary>The other traps.</summary>
    public long Traps;

    /// <summary>The worker crashes.</summary>
    public long WorkerCrashes;

    /// <summary>The worker restarts.</summary>
    public long WorkerRestarts;

    /// <summary>Adds this generation's counts to <paramref name="totals"/> (peak memory as a maximum).</summary>
    /// <param name="totals">The running totals.</param>
    public void AddTo(PluginCounters totals)
    {
        Interlocked.Add(ref totals.TotalCalls, Interlocked.Read(ref TotalCalls));
        Interlocked.Add(ref totals.SuccessfulCalls, Interlocked.Read(ref SuccessfulCalls));
        Interlocked.Add(ref totals.FailedCalls, Interlocked.Read(ref FailedCalls));
        Interlocked.Add(ref totals.FuelConsumed, Interlocked.Read(ref FuelConsumed));
        Interlocked.Add(ref totals.ExecutionMicroseconds, Interlocked.Read(ref ExecutionMicroseconds));
        Interlocked.Add(ref totals.FuelExhaustions, Interlocked.Read(ref FuelExhaustions));
        Interlocked.Add(ref totals.Timeouts, Interlocked.Read(ref Timeouts));
        Interlocked.Add(ref totals.MemoryViolations, Interlocked.Read(ref MemoryViolations));
        Interlocked.Add(ref totals.Traps, Interlocked.Read(ref Traps));
        Interlocked.Add(ref totals.WorkerCrashes, Interlocked.Read(ref WorkerCrashes));
        Interlocked.Add(ref totals.WorkerRestarts, Interlocked.Read(ref WorkerRestarts));
        totals.ObserveMemory(Interlocked.Read(ref PeakMemoryBytes));
    }

    /// <summary>Raises <see cref="PeakMemoryBytes"/> to <paramref name="bytes"/> if it is larger.</summary>
    /// <param name="bytes">A memory reading.</param>
    public void ObserveMemory(long bytes)
    {
        long current;
        while (bytes > (current = Interlocked.Read(ref PeakMemoryBytes)) && Interlocked.CompareExchange(ref PeakMemoryBytes, bytes, current) != current)
        {
        }
    }
}

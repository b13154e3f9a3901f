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

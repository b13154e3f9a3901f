using System.Diagnostics;

namespace SochDb.Isolated.Benchmarks;

/// <summary>Latency figures of one scenario, in microseconds.</summary>
/// <param name="Iterations">The timed calls.</param>
/// <param name="P50Us">The median (nearest rank).</param>
/// <param name="P99Us">The 99th percentile (nearest rank).</param>
/// <param name="MeanUs">The arithmetic mean.</param>
/// <param name="MinUs">The fastest call.</param>
/// <param name="MaxUs">The slowest call.</param>
internal sealed record LatencyStats(int Iterations, double P50Us, double P99Us, double MeanUs, double MinUs, double MaxUs)
{
    /// <summary>Gets the throughput of one caller calling back to back: 1e6 / mean.</summary>
    public double CallsPerSecond => 1e6 / MeanUs;

    /// <summary>Summarizes per-call durations in <see cref="Stopwatch"/> ticks.</summary>
    /// <param name="ticks">The durations; sorted in place.</param>
    /// <returns>The figures.</returns>
    public static LatencyStats FromTicks(long[] ticks)
    {
        Array.Sort(ticks);
        var toUs = 1e6 / Stopwatch.Frequency;
        double sum = 0;
        foreach (var t in ticks)
        {
            sum += t;
        }

        return new LatencyStats(
            ticks.Length,
            NearestRank(ticks, 0.50) * toUs,
            NearestRank(ticks, 0.99) * toUs,
            sum / ticks.Length * toUs,
            ticks[0] * toUs,
            ticks[^1] * toUs);
    }

    private static long NearestRank(long[] sorted, double quantile)
    {
        var rank = (int)Math.Ceiling(quantile * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// One scenario: a call timed on its own between two <see cref="Stopwatch.GetTimestamp"/> reads. Each result is
/// checked after the end timestamp, so the check is not timed but a wrong answer still fails the run.
/// </summary>
/// <param name="id">A stable identifier, used in the JSON output.</param>
/// <param name="name">What is called, and how.</param>
/// <param name="wireFormat">The channel encoding, or <see langword="null"/> in process.</param>
/// <param name="iterations">The timed calls to make.</param>
/// <param name="timeOne">Makes one call and returns its duration in ticks.</param>
internal sealed class TimedScenario(string id, string name, Protocol.WireFormat? wireFormat, int iterations, Func<ValueTask<long>> timeOne)
{
    private readonly long[] ticks = new long[iterations];
    private int filled;

    public string Id { get; } = id;

    public string Name { get; } = name;

    public Protocol.WireFormat? WireFormat { get; } = wireFormat;

    public int Iterations { get; } = iterations;

    public static Func<ValueTask<long>> Sync<T>(Func<T> call, Action<T> check) => () =>
    {
        var start = Stopwatch.GetTimestamp();
        var result = call();
        var elapsed = Stopwatch.GetTimestamp() - start;
        check(result);
        return ValueTask.FromResult(elapsed);
    };

    public static Func<ValueTask<long>> Async<T>(Func<Task<T>> call, Action<T> check) => async () =>
    {
        var start = Stopwatch.GetTimestamp();
        var result = await call();
        var elapsed = Stopwatch.GetTimestamp() - start;
        check(result);
        return elapsed;
    };

    /// <summary>Makes untimed calls.</summary>
    public async Task WarmUpAsync(int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            await timeOne();
        }
    }

    /// <summary>Makes the next <paramref name="calls"/> timed calls (fewer once all are done).</summary>
    public async Task RunAsync(int calls)
    {
        for (var i = 0; i < calls && filled < ticks.Length; i++)
        {
            ticks[filled++] = await timeOne();
        }
    }

    /// <summary>Summarizes the timed calls; call once all are done.</summary>
    public LatencyStats Summarize() =>
        filled == ticks.Length ? LatencyStats.FromTicks(ticks) : throw new InvalidOperationException($"{Id}: only {filled} of {ticks.Length} calls ran");
}

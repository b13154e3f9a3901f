namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>
/// Counts worker crashes within a sliding window from the supervisor's cumulative crash counter, sampled by a timer
/// (ten times per window) and at each health check. The count covers between one window and 1.1 windows.
/// </summary>
internal sealed class CrashRateTracker : IDisposable
{
    private readonly Func<long> crashes;
    private readonly TimeSpan window;
    private readonly TimeProvider time;
    private readonly TimeSpan spacing;
    private readonly Lock sync = new();
    private readonly List<(long Timestamp, long Crashes)> samples = [];
    private ITimer? timer;

    /// <summary>Initializes a new instance of the <see cref="CrashRateTracker"/> class.</summary>
    /// <param name="crashes">Reads the cumulative crash count.</param>
    /// <param name="window">The window.</param>
    /// <param name="time">The clock.</param>
    public CrashRateTracker(Func<long> crashes, TimeSpan window, TimeProvider time)
    {
        this.crashes = crashes;
        this.window = window;
        this.time = time;
        spacing = window / 10;
    }

    /// <summary>Starts sampling on a timer, from now on.</summary>
    public void Start()
    {
        Sample();
        lock (sync)
        {
            timer ??= time.CreateTimer(_ => Sample(), null, spacing, spacing);
        }
    }

    /// <summary>Stops the timer.</summary>
    public void Stop()
    {
        lock (sync)
        {
            timer?.Dispose();
            timer = null;
        }
    }

    /// <summary>Takes a sample now and counts the crashes within the window.</summary>
    /// <returns>The crashes since the newest sample at least a window old, or since the oldest sample.</returns>
    public long CrashesInWindow()
    {
        var now = Sample();
        lock (sync)
        {
            return samples.Count == 0 ? 0 : now - samples[0].Crashes;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Stop();

    /// <summary>Reads the counter and records it when the last sample is at least a tenth of a window old.</summary>
    /// <returns>The count read.</returns>
    internal long Sample()
    {
        long count;
        try
        {
            count = crashes();
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }

        var now = time.GetTimestamp();
        lock (sync)
        {
            if (samples.Count == 0 || time.GetElapsedTime(samples[^1].Timestamp, now) >= spacing)
            {
                samples.Add((now, count));
            }

            // Keep one sample at least a window old as the baseline, and everything newer.
            while (samples.Count >= 2 && time.GetElapsedTime(samples[1].Timestamp, now) >= window)
            {
                samples.RemoveAt(0);
            }
        }

        return count;
    }
}

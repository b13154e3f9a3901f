using System.Diagnostics;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// Caps how many lines of one worker's output are logged per second, counting the rest so that the host's log shows
/// how much was dropped instead of every line a flooding worker writes.
/// </summary>
/// <remarks>Thread-safe. Time comes in as <see cref="Stopwatch.GetTimestamp"/> values so tests can drive it.</remarks>
/// <param name="linesPerSecond">The most lines logged in any one-second window.</param>
internal sealed class OutputRateLimiter(int linesPerSecond)
{
    private readonly Lock gate = new();
    private long windowStart = long.MinValue;
    private int logged;
    private long dropped;

    /// <summary>Gets the most lines logged per second.</summary>
    public int LinesPerSecond { get; } = linesPerSecond;

    /// <summary>Decides whether a line arriving now may be logged.</summary>
    /// <param name="timestamp">Now, as a <see cref="Stopwatch.GetTimestamp"/> value.</param>
    /// <param name="droppedBefore">
    /// The lines dropped in the window that has just ended, to be reported once; 0 when none were, or the window goes on.
    /// </param>
    /// <returns><see langword="true"/> to log the line; <see langword="false"/> when it is over the cap and was counted.</returns>
    public bool TryAcquire(long timestamp, out long droppedBefore)
    {
        lock (gate)
        {
            droppedBefore = 0;
            if (windowStart == long.MinValue || timestamp - windowStart >= Stopwatch.Frequency)
            {
                droppedBefore = dropped;
                windowStart = timestamp;
                logged = 0;
                dropped = 0;
            }

            if (logged < LinesPerSecond)
            {
                logged++;
                return true;
            }

            dropped++;
            return false;
        }
    }

    /// <summary>Takes the count of lines dropped and not yet reported, for the last report when the output ends.</summary>
    /// <returns>The count; 0 when nothing is left to report.</returns>
    public long TakeDropped()
    {
        lock (gate)
        {
            var count = dropped;
            dropped = 0;
            return count;
        }
    }
}

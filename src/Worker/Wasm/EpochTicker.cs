using System.Diagnostics;
using Wasmtime;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>
/// Advances the engine's epoch once per tick while calls run, so that a store's epoch deadline is a wall-clock
/// deadline. Ticking lingers for <see cref="Linger"/> after the last call, so back-to-back calls do not each pay a
/// thread wake-up; after that the thread sleeps on an event and an idle worker costs no CPU.
/// </summary>
/// <remarks>
/// The epoch follows real time from the moment ticking resumes (it catches up after an oversleep rather than
/// drifting), so a deadline of N ticks fires between N-1 and N tick lengths after it was set.
/// One ticker serves every store of the engine: <see cref="Enter"/> and <see cref="Exit()"/> count calls atomically, so
/// calls overlapping on several instances keep it ticking until the last one ends, and each store's deadline is its own.
/// </remarks>
internal sealed class EpochTicker : IDisposable
{
    /// <summary>How long ticking goes on after the last call ended.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);

    private readonly Engine engine;
    private readonly int tickMs;
    private readonly ManualResetEventSlim wake = new(false);
    private readonly Thread thread;
    private int active;
    private long lastExit;
    private volatile bool disposed;

    /// <summary>Initializes a new instance of the <see cref="EpochTicker"/> class and starts its thread.</summary>
    /// <param name="engine">The engine whose epoch to advance; must outlive the ticker.</param>
    /// <param name="tickMs">The tick length in milliseconds (at least 1).</param>
    public EpochTicker(Engine engine, int tickMs)
    {
        this.engine = engine;
        this.tickMs = Math.Max(1, tickMs);
        thread = new Thread(Run) { IsBackground = true, Name = "epoch-ticker" };
        thread.Start();
    }

    /// <summary>Gets the tick length in milliseconds.</summary>
    public int TickMs => tickMs;

    /// <summary>Marks a call as running; ticking starts if it was the first.</summary>
    public void Enter()
    {
        if (Interlocked.Increment(ref active) == 1)
        {
            wake.Set();
        }
    }

    /// <summary>Marks a call as finished.</summary>
    public void Exit() => Exit(Stopwatch.GetTimestamp());

    /// <summary>Marks a call as finished at <paramref name="at"/>, a <see cref="Stopwatch"/> timestamp the caller already took.</summary>
    /// <param name="at">When the call ended.</param>
    public void Exit(long at)
    {
        Volatile.Write(ref lastExit, at);
        Interlocked.Decrement(ref active);
    }

    /// <summary>Converts a timeout into epoch ticks, rounded up, plus one so the deadline never fires early.</summary>
    /// <param name="timeoutMs">The timeout in milliseconds.</param>
    /// <returns>The deadline in ticks beyond the current epoch.</returns>
    public ulong TicksFor(long timeoutMs) => (ulong)((Math.Max(0, timeoutMs) + tickMs - 1) / tickMs) + 1;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        wake.Set();
        thread.Join();
        wake.Dispose();
    }

    private void Run()
    {
        while (!disposed)
        {
            if (Volatile.Read(ref active) == 0)
            {
                // Reset before the re-check: an Enter after the re-check sets the event again, so no wake-up is lost.
                wake.Reset();
                if (Volatile.Read(ref active) == 0 && !disposed)
                {
                    wake.Wait();
                }

                continue;
            }

            var start = Stopwatch.GetTimestamp();
            long ticked = 0;
            while (!disposed && (Volatile.Read(ref active) > 0 || Stopwatch.GetElapsedTime(Volatile.Read(ref lastExit)) < Linger))
            {
                Thread.Sleep(tickMs);
                var due = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds / tickMs;
                for (; ticked < due; ticked++)
                {
                    engine.IncrementEpoch();
                }
            }
        }
    }
}

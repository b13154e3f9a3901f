using SochDb.Isolated.Supervisor.DependencyInjection;

namespace SochDb.Isolated.Supervisor.Tests.DependencyInjection;

public sealed class CrashRateTrackerTests
{
    [Fact]
    public void CountsCrashesWithinTheWindowOnly()
    {
        var clock = new ManualClock();
        long crashes = 0;
        using var tracker = new CrashRateTracker(() => crashes, TimeSpan.FromSeconds(60), clock);

        Assert.Equal(0, tracker.CrashesInWindow());
        crashes = 2;
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, tracker.CrashesInWindow());

        // Samples every 6 s (a tenth of the window) keep the baseline close to a window ago.
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(6));
            tracker.Sample();
        }

        Assert.Equal(0, tracker.CrashesInWindow());
        crashes = 5;
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(3, tracker.CrashesInWindow());
        for (var i = 0; i < 11; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(6));
            tracker.Sample();
        }

        Assert.Equal(0, tracker.CrashesInWindow());
    }

    [Fact]
    public void FrequentChecks_KeepFewSamples_AndStillCount()
    {
        var clock = new ManualClock();
        long crashes = 0;
        using var tracker = new CrashRateTracker(() => crashes, TimeSpan.FromSeconds(10), clock);
        for (var i = 0; i < 10_000; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            crashes += i % 1000 == 0 ? 1 : 0;
            tracker.Sample();
        }

        // Ten crashes, one a second; the first is already in the baseline sample.
        Assert.Equal(9, tracker.CrashesInWindow());
    }

    [Fact]
    public void DisposedSupervisor_CountsNothing()
    {
        using var tracker = new CrashRateTracker(() => throw new ObjectDisposedException("supervisor"), TimeSpan.FromSeconds(10), new ManualClock());

        Assert.Equal(0, tracker.CrashesInWindow());
    }

    private sealed class ManualClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}

using System.Diagnostics;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Tests.Workers;

public sealed class OutputRateLimiterTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void TryAcquire_OverTheCapWithinASecond_RefusesAndCounts()
    {
        var limiter = new OutputRateLimiter(3);

        var verdicts = Enumerable.Range(0, 5).Select(i => limiter.TryAcquire(1000 + i, out _)).ToArray();

        Assert.Equal([true, true, true, false, false], verdicts);
        Assert.Equal(2, limiter.TakeDropped());
        Assert.Equal(0, limiter.TakeDropped());
    }

    [Fact]
    public void TryAcquire_NextWindow_AllowsAgainAndReportsTheDroppedOnce()
    {
        var limiter = new OutputRateLimiter(1);
        limiter.TryAcquire(0, out _);
        limiter.TryAcquire(1, out _);
        limiter.TryAcquire(2, out _);

        Assert.True(limiter.TryAcquire(Second, out var reported));
        Assert.Equal(2, reported);
        Assert.False(limiter.TryAcquire(Second + 1, out reported));
        Assert.Equal(0, reported);
    }

    [Fact]
    public void TryAcquire_FirstLine_ReportsNothing()
    {
        var limiter = new OutputRateLimiter(200);

        Assert.True(limiter.TryAcquire(long.MinValue + 1, out var reported));
        Assert.Equal(0, reported);
    }
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Supervisor.Tests.Isolation;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Tests.Workers;

public sealed class WarmWorkerPoolTests
{
    private static readonly WorkerLimits Limits = new(64L << 20, 16, 1);

    [Fact]
    public async Task Refill_StartKeepsFailing_RetriesWithBackoffInsteadOfSpinning()
    {
        var attempts = 0;
        using var slots = new SemaphoreSlim(2);
        var logger = new TestLogger();
        var pool = new WarmWorkerPool(
            2,
            _ =>
            {
                Interlocked.Increment(ref attempts);
                throw new PluginException(ErrorKind.WorkerCrashed, WarmWorkerPool.IdleName, "the worker process could not be started");
            },
            slots,
            TimeSpan.Zero,
            logger);

        // 1 s, then 2 s: within 1.5 s there are two attempts at most, however fast the start fails.
        await Task.Delay(TimeSpan.FromMilliseconds(1500));

        Assert.InRange(Volatile.Read(ref attempts), 1, 2);
        Assert.NotEmpty(logger.Of(1163));
        Assert.Null(await pool.TryAdoptAsync("p", (_, _) => throw new InvalidOperationException("no host calls here"), Limits));
        Assert.Equal(0, pool.IdleCount);
        await pool.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, slots.CurrentCount);
    }

    [Fact]
    public async Task DisposeAsync_WhileAStartWaits_CancelsItAndReturnsTheSlot()
    {
        using var slots = new SemaphoreSlim(1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pool = new WarmWorkerPool(
            1,
            async token =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
                throw new InvalidOperationException("unreachable");
            },
            slots,
            TimeSpan.Zero,
            new TestLogger());
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, slots.CurrentCount);

        await pool.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, slots.CurrentCount);
    }

    [Fact]
    public async Task SizeZero_NeverStartsAndNeverAdopts()
    {
        using var slots = new SemaphoreSlim(1);
        var attempts = 0;
        await using var pool = new WarmWorkerPool(
            0,
            _ =>
            {
                Interlocked.Increment(ref attempts);
                return Task.FromException<WorkerProcess>(new InvalidOperationException("a pool of size 0 starts nothing"));
            },
            slots,
            TimeSpan.Zero,
            new TestLogger());

        Assert.Null(await pool.TryAdoptAsync("p", (_, _) => throw new InvalidOperationException("no host calls here"), Limits));
        Assert.Equal(0, Volatile.Read(ref attempts));
        Assert.Equal(0, pool.Adoptions);
    }
}

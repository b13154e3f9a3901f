using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class CallGateTests
{
    [Fact]
    public async Task EnterAsync_FreeGate_EntersAtOnce()
    {
        var gate = new CallGate(maxQueued: 4);

        var entered = gate.EnterAsync(bypassBound: false, CancellationToken.None);

        Assert.True(entered.IsCompletedSuccessfully);
        Assert.True(await entered.DefaultTimeout());
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task EnterAsync_HeldGate_WaitsUntilReleased()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        var waiter = gate.EnterAsync(false, CancellationToken.None);

        Assert.False(waiter.IsCompleted);
        Assert.Equal(1, gate.Queued);
        gate.Release();
        Assert.True(await waiter.DefaultTimeout());
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task Release_FiveWaiters_HandsTheGateOverInArrivalOrder()
    {
        var gate = new CallGate(maxQueued: 10);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var waiters = Enumerable.Range(0, 5).Select(_ => gate.EnterAsync(false, CancellationToken.None)).ToList();
        Assert.Equal(5, gate.Queued);
        Assert.All(waiters, w => Assert.False(w.IsCompleted));

        var order = new List<int>();
        var pending = waiters.ToList();
        while (pending.Count > 0)
        {
            gate.Release();
            var next = await Task.WhenAny(pending).DefaultTimeout();
            Assert.True(await next.DefaultTimeout());
            order.Add(waiters.IndexOf(next));
            pending.Remove(next);

            // Only one waiter may hold the gate: the rest must still be waiting.
            Assert.All(pending, w => Assert.False(w.IsCompleted));
            Assert.Equal(pending.Count, gate.Queued);
        }

        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact]
    public async Task EnterAsync_QueueFull_ReturnsFalseWithoutQueueing()
    {
        var gate = new CallGate(maxQueued: 2);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var first = gate.EnterAsync(false, CancellationToken.None);
        var second = gate.EnterAsync(false, CancellationToken.None);

        var refused = gate.EnterAsync(false, CancellationToken.None);

        Assert.True(refused.IsCompleted);
        Assert.False(await refused.DefaultTimeout());
        Assert.Equal(2, gate.Queued);
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task EnterAsync_CallsWaitingInTheLanesFillTheQueue_RefusesAndReportsBoth()
    {
        var account = new QueueAccount();
        var gate = new CallGate(maxQueued: 2, capacity: 1, account);
        Assert.True(await gate.EnterAsync(bypassBound: false, CancellationToken.None).DefaultTimeout());
        account.Lanes(1);
        var waiter = gate.EnterAsync(bypassBound: false, CancellationToken.None);

        // One waits at the gate, one in a worker's lanes: the bound of two is reached.
        Assert.False(await gate.EnterAsync(bypassBound: false, CancellationToken.None).DefaultTimeout());
        Assert.Equal((1, 1, 2), (gate.Queued, account.InLanes, account.Total));
        Assert.Same(gate, account.Gate);

        account.Lanes(-1);
        var another = gate.EnterAsync(bypassBound: false, CancellationToken.None);
        gate.Release();
        Assert.True(await waiter.DefaultTimeout());
        gate.Release();
        Assert.True(await another.DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_ZeroQueueAndHeld_ReturnsFalse()
    {
        var gate = new CallGate(maxQueued: 0);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        Assert.False(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task EnterAsync_QueueFreedAgain_AcceptsNewWaiter()
    {
        var gate = new CallGate(maxQueued: 1);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var first = gate.EnterAsync(false, CancellationToken.None);
        Assert.False(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        gate.Release();
        Assert.True(await first.DefaultTimeout());
        var again = gate.EnterAsync(false, CancellationToken.None);

        Assert.False(again.IsCompleted);
        Assert.Equal(1, gate.Queued);
        gate.Release();
        Assert.True(await again.DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_BypassBoundWhenFull_WaitsInLine()
    {
        var gate = new CallGate(maxQueued: 1);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var bounded = gate.EnterAsync(false, CancellationToken.None);
        Assert.False(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        var bypass = gate.EnterAsync(bypassBound: true, CancellationToken.None);

        Assert.False(bypass.IsCompleted);
        Assert.Equal(2, gate.Queued);
        gate.Release();
        Assert.True(await bounded.DefaultTimeout());
        Assert.False(bypass.IsCompleted);
        gate.Release();
        Assert.True(await bypass.DefaultTimeout());
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task EnterAsync_BypassBoundWithZeroQueue_WaitsInLine()
    {
        var gate = new CallGate(maxQueued: 0);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        var bypass = gate.EnterAsync(bypassBound: true, CancellationToken.None);

        Assert.False(bypass.IsCompleted);
        gate.Release();
        Assert.True(await bypass.DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_WaiterCancelled_LeavesTheLineAndNextWaiterGetsTheGate()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        using var cts = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(false, cts.Token);
        var next = gate.EnterAsync(false, CancellationToken.None);
        Assert.Equal(2, gate.Queued);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.DefaultTimeout());
        Assert.Equal(1, gate.Queued);
        Assert.False(next.IsCompleted);
        gate.Release();
        Assert.True(await next.DefaultTimeout());
        Assert.Equal(0, gate.Queued);

        // The next waiter holds the gate now, so a newcomer must wait.
        var newcomer = gate.EnterAsync(false, CancellationToken.None);
        Assert.False(newcomer.IsCompleted);
        gate.Release();
        Assert.True(await newcomer.DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_CancelledWaiterFreesItsQueueSlot()
    {
        var gate = new CallGate(maxQueued: 1);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        using var cts = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(false, cts.Token);
        Assert.False(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.DefaultTimeout());
        var admitted = gate.EnterAsync(false, CancellationToken.None);

        Assert.False(admitted.IsCompleted);
        Assert.Equal(1, gate.Queued);
        gate.Release();
        Assert.True(await admitted.DefaultTimeout());
    }

    [Fact]
    public async Task Release_OnlyWaiterCancelled_FreesTheGate()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        using var cts = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(false, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.DefaultTimeout());

        gate.Release();
        var entered = gate.EnterAsync(false, CancellationToken.None);

        Assert.True(entered.IsCompletedSuccessfully);
        Assert.True(await entered.DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_TokenAlreadyCancelledWhileHeld_ThrowsAndDoesNotQueue()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.EnterAsync(false, cts.Token).DefaultTimeout());

        Assert.Equal(0, gate.Queued);
        gate.Release();
        Assert.True(gate.EnterAsync(false, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task EnterAsync_CancelledAfterBeingHandedTheGate_KeepsIt()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        using var cts = new CancellationTokenSource();
        var waiter = gate.EnterAsync(false, cts.Token);

        gate.Release();
        Assert.True(await waiter.DefaultTimeout());
        await cts.CancelAsync();

        var newcomer = gate.EnterAsync(false, CancellationToken.None);
        Assert.False(newcomer.IsCompleted);
        gate.Release();
        Assert.True(await newcomer.DefaultTimeout());
    }

    [Fact]
    public async Task Release_NoWaiters_FreesTheGate()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        gate.Release();
        var entered = gate.EnterAsync(false, CancellationToken.None);

        Assert.True(entered.IsCompletedSuccessfully);
        Assert.True(await entered.DefaultTimeout());
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task Release_LastWaiterDone_FreesTheGate()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var waiter = gate.EnterAsync(false, CancellationToken.None);
        gate.Release();
        Assert.True(await waiter.DefaultTimeout());

        gate.Release();

        Assert.True(gate.EnterAsync(false, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task EnterAsync_ManyConcurrentCallers_NeverOverlap()
    {
        var gate = new CallGate(maxQueued: 1000);
        var inside = 0;
        var maxInside = 0;
        var total = 0;

        async Task WorkAsync()
        {
            await Task.Yield();
            Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
            try
            {
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                await Task.Yield();
                total++;
                Interlocked.Decrement(ref inside);
            }
            finally
            {
                gate.Release();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(WorkAsync))).DefaultTimeout();

        Assert.Equal(1, maxInside);
        Assert.Equal(200, total);
        Assert.Equal(0, gate.Queued);
        Assert.True(gate.EnterAsync(false, CancellationToken.None).IsCompletedSuccessfully);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        do
        {
            current = Volatile.Read(ref target);
            if (value <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref target, value, current) != current);
    }

    [Fact]
    public async Task EnterAsync_AlreadyCancelledToken_ThrowsEvenWhenFree()
    {
        var gate = new CallGate(maxQueued: 4);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.EnterAsync(false, new CancellationToken(canceled: true))).DefaultTimeout();
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_CapacityThree_AdmitsThreeThenQueues()
    {
        var gate = new CallGate(maxQueued: 4, capacity: 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        }

        var fourth = gate.EnterAsync(false, CancellationToken.None);

        Assert.False(fourth.IsCompleted);
        Assert.Equal((3, 1), (gate.InUse, gate.Queued));
        gate.Release();
        Assert.True(await fourth.DefaultTimeout());
        Assert.Equal((3, 0), (gate.InUse, gate.Queued));
    }

    [Fact]
    public async Task Capacity_Raised_AdmitsWaitersInOrder()
    {
        var gate = new CallGate(maxQueued: 4, capacity: 1);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var first = gate.EnterAsync(false, CancellationToken.None);
        var second = gate.EnterAsync(false, CancellationToken.None);
        var third = gate.EnterAsync(false, CancellationToken.None);

        gate.Capacity = 3;

        Assert.True(await first.DefaultTimeout());
        Assert.True(await second.DefaultTimeout());
        Assert.False(third.IsCompleted);
        Assert.Equal(3, gate.InUse);
    }

    [Fact]
    public async Task Capacity_Lowered_TakesEffectAsPermitsReturn()
    {
        var gate = new CallGate(maxQueued: 4, capacity: 2);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());
        var waiter = gate.EnterAsync(false, CancellationToken.None);

        gate.Capacity = 1;
        gate.Release();

        // Two were inside and the capacity is now one: the first release does not admit anyone.
        Assert.False(waiter.IsCompleted);
        gate.Release();
        Assert.True(await waiter.DefaultTimeout());
        Assert.Equal(1, gate.InUse);
    }

    [Fact]
    public async Task EnterAsync_QueueTimeoutPasses_ReturnsTimedOutAndLeavesTheLine()
    {
        var gate = new CallGate(maxQueued: 4);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        var entry = await gate.EnterAsync(false, TimeSpan.FromMilliseconds(30), CancellationToken.None).DefaultTimeout();

        Assert.Equal(GateEntry.TimedOut, entry);
        Assert.Equal(0, gate.Queued);
        gate.Release();
        Assert.Equal(0, gate.InUse);
        Assert.Equal(GateEntry.Entered, await gate.EnterAsync(false, TimeSpan.FromMilliseconds(30), CancellationToken.None).DefaultTimeout());
    }

    [Fact]
    public async Task EnterAsync_QueueFull_ReturnsQueueFull()
    {
        var gate = new CallGate(maxQueued: 0);
        Assert.True(await gate.EnterAsync(false, CancellationToken.None).DefaultTimeout());

        Assert.Equal(GateEntry.QueueFull, await gate.EnterAsync(false, TimeSpan.FromSeconds(5), CancellationToken.None).DefaultTimeout());
    }

    [Fact]
    public void Constructor_CapacityBelowOne_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new CallGate(maxQueued: 1, capacity: 0));
}

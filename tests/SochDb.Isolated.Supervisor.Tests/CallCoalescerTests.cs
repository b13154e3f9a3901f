using System.Collections.Concurrent;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Supervisor.Workers;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests;

/// <summary>Call coalescing in memory: lanes, grouping, failures, waiting limits — the worker is a fake that answers when told.</summary>
public sealed class CallCoalescerTests
{
    [Fact]
    public async Task InvokeAsync_AFreeLane_SendsTheCallAloneAtOnce()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 2);

        var answer = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        worker.AnswerNext();

        Assert.Equal(1, (await answer.DefaultTimeout()).FuelConsumed);
        Assert.Equal([[1L]], worker.Messages);
        Assert.Equal([false], worker.WasMany);
    }

    [Fact]
    public async Task InvokeAsync_EveryLaneBusy_TheWaitingCallsGoTogetherInOrderWhenALaneFrees()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var waiting = Enumerable.Range(2, 3).Select(i => coalescer.InvokeAsync(Call(i), Deadline, 0, combinable: true, null, CancellationToken.None)).ToArray();
        Assert.Equal(3, coalescer.Waiting);

        worker.AnswerNext();
        await first.DefaultTimeout();
        await worker.WaitForMessagesAsync(2);
        worker.AnswerNext();

        var answers = await Task.WhenAll(waiting).DefaultTimeout();
        Assert.Equal([2L, 3, 4], answers.Select(a => a.FuelConsumed));
        Assert.Equal([[1L], [2, 3, 4]], worker.Messages);
        Assert.Equal([false, true], worker.WasMany);
    }

    [Fact]
    public async Task InvokeAsync_MoreWaitingThanAMessageCarries_SplitsThemAndNeverUsesMoreLanesThanItHas()
    {
        var worker = new FakeWorker(autoAnswer: true);
        var coalescer = worker.Coalescer(lanes: 2, maxCalls: 3);

        var answers = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => coalescer.InvokeAsync(Call(i), Deadline, 0, combinable: true, null, CancellationToken.None))).DefaultTimeout();

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), answers.Select(a => a.FuelConsumed));
        Assert.True(worker.MostAtOnce <= 2, $"{worker.MostAtOnce} messages were in the worker at once");
        Assert.All(worker.Messages, m => Assert.InRange(m.Count, 1, 3));
        Assert.Equal(40, worker.Messages.Sum(m => m.Count));
    }

    [Fact]
    public async Task InvokeAsync_ACallThatMayAnswerABufferOrIsTooLarge_GoesAlone()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1, maxBytes: 100);
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var queued = new[]
        {
            coalescer.InvokeAsync(Call(2), Deadline, 10, combinable: true, null, CancellationToken.None),
            coalescer.InvokeAsync(Call(3), Deadline, 10, combinable: false, null, CancellationToken.None),
            coalescer.InvokeAsync(Call(4), Deadline, 60, combinable: true, null, CancellationToken.None),
            coalescer.InvokeAsync(Call(5), Deadline, 60, combinable: true, null, CancellationToken.None),
            coalescer.InvokeAsync(Call(6), Deadline, 101, combinable: true, null, CancellationToken.None),
        };

        for (var answered = 1; answered <= 6; answered++)
        {
            await worker.WaitForMessagesAsync(answered);
            worker.AnswerNext();
        }

        await Task.WhenAll(queued.Append(first)).DefaultTimeout();
        Assert.Equal([[1L], [2], [3], [4], [5], [6]], worker.Messages);
    }

    [Fact]
    public async Task InvokeAsync_TheMessageFails_EveryCallInItFailsWithItsError()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var queued = await CoalescedBehindOneCallAsync(worker, coalescer, 3);

        var lost = new WorkerCrashedException("p", 137, "the worker died");
        worker.FailNext(lost);

        foreach (var call in queued)
        {
            Assert.Same(lost, await Assert.ThrowsAsync<WorkerCrashedException>(() => call).DefaultTimeout());
        }

        // The lane came back: the next call is sent at once.
        var after = coalescer.InvokeAsync(Call(9), Deadline, 0, combinable: true, null, CancellationToken.None);
        worker.AnswerNext();
        Assert.Equal(9, (await after.DefaultTimeout()).FuelConsumed);
    }

    [Fact]
    public async Task InvokeAsync_AWorkerAnswersTheWrongNumberOfCalls_EveryCallFailsAsMalformed()
    {
        var worker = new FakeWorker { DropLastAnswer = true };
        var coalescer = worker.Coalescer(lanes: 1);
        var queued = await CoalescedBehindOneCallAsync(worker, coalescer, 2);
        worker.AnswerNext();

        foreach (var call in queued)
        {
            var ex = await Assert.ThrowsAsync<PluginException>(() => call).DefaultTimeout();
            Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
            Assert.Contains("1 answers and 0 calls not started to 2 coalesced calls", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InvokeAsync_WaitedLongerThanTheQueueTimeout_FailsOverloadedWithoutBeingSent()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1, queueTimeout: TimeSpan.FromMilliseconds(20));
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var late = coalescer.InvokeAsync(Call(2), Deadline, 0, combinable: true, null, CancellationToken.None);
        await Task.Delay(100);

        worker.AnswerNext();
        await first.DefaultTimeout();

        var ex = await Assert.ThrowsAsync<OverloadedException>(() => late).DefaultTimeout();
        Assert.Equal(ErrorKind.Overloaded, ex.Kind);
        Assert.Single(worker.Messages);
    }

    [Fact]
    public async Task InvokeAsync_TheLaneStaysBusyPastTheQueueTimeout_TheWaitingCallFailsOverloadedOnTime()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1, queueTimeout: TimeSpan.FromMilliseconds(50));
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var late = coalescer.InvokeAsync(Call(2), Deadline, 0, combinable: true, null, CancellationToken.None);

        // The lane is never freed: the wait still ends at the queue timeout, and the call leaves the line.
        await Assert.ThrowsAsync<OverloadedException>(() => late).DefaultTimeout();
        Assert.Equal(0, coalescer.Waiting);

        worker.AnswerNext();
        await first.DefaultTimeout();
        Assert.Single(worker.Messages);
    }

    [Fact]
    public async Task InvokeAsync_CancelledWhileWaiting_LeavesTheLineWithoutBeingSent()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        using var cancel = new CancellationTokenSource();
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var cancelled = coalescer.InvokeAsync(Call(2), Deadline, 0, combinable: true, null, cancel.Token);
        var kept = coalescer.InvokeAsync(Call(3), Deadline, 0, combinable: true, null, CancellationToken.None);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).DefaultTimeout();
        worker.AnswerNext();
        await first.DefaultTimeout();
        await worker.WaitForMessagesAsync(2);
        worker.AnswerNext();

        Assert.Equal(3, (await kept.DefaultTimeout()).FuelConsumed);
        Assert.Equal([[1L], [3]], worker.Messages);
        Assert.Equal(long.MaxValue - 1, worker.LastFuelBudget);
    }

    [Fact]
    public async Task InvokeAsync_TheWorkerWentAwayWhileCallsWaited_TheyFailNotSentAndAreNeverSent()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var waiting = Enumerable.Range(2, 3).Select(i => coalescer.InvokeAsync(Call(i), Deadline, 0, combinable: true, null, CancellationToken.None)).ToArray();
        var batch = coalescer.RunAloneAsync(_ => Task.FromResult(1));

        var notSent = new CallNotSentException("p", "it exited");
        worker.Gone = notSent;
        worker.FailNext(new WorkerCrashedException("p", 137, "the worker died"));
        await Assert.ThrowsAsync<WorkerCrashedException>(() => first).DefaultTimeout();

        foreach (var call in waiting)
        {
            Assert.Same(notSent, await Assert.ThrowsAsync<CallNotSentException>(() => call).DefaultTimeout());
        }

        Assert.Same(notSent, await Assert.ThrowsAsync<CallNotSentException>(() => batch).DefaultTimeout());
        Assert.Single(worker.Messages);
    }

    [Fact]
    public async Task InvokeAsync_AWaitedCall_KeepsItsWholeTimeoutAndItsMessageAllowsItToStartThatLate()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var sentWith = new ConcurrentQueue<TimeSpan>();
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, sentWith.Enqueue, CancellationToken.None);
        var waited = Call(2);
        var second = coalescer.InvokeAsync(waited, Deadline, 0, combinable: true, sentWith.Enqueue, CancellationToken.None);
        await Task.Delay(150);

        worker.AnswerNext();
        await first.DefaultTimeout();
        await worker.WaitForMessagesAsync(2);
        worker.AnswerNext();
        await second.DefaultTimeout();

        // Its wait for the lane is the queue timeout's business, not its timeout's: it runs with all of it.
        Assert.Equal(1000, waited.TimeoutMs);
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(1)], sentWith);
        Assert.Equal(Deadline + TimeSpan.FromSeconds(1), worker.LastManyDeadline);
    }

    [Fact]
    public async Task InvokeAsync_TheWorkerLeavesCallsUnstarted_TheyGoFirstInTheNextMessageAndAllAnswer()
    {
        var worker = new FakeWorker { StartOnlyOnce = 2 };
        var coalescer = worker.Coalescer(lanes: 1);
        var sent = new ConcurrentDictionary<long, int>();
        var queued = await CoalescedBehindOneCallAsync(worker, coalescer, 4, id => _ => sent.AddOrUpdate(id, 1, (_, n) => n + 1));
        var late = coalescer.InvokeAsync(Call(6), Deadline, 0, combinable: true, null, CancellationToken.None);

        // The worker runs calls 2 and 3 and hands back 4 and 5: they go again, ahead of call 6, which came after them.
        worker.AnswerNext();
        await worker.WaitForMessagesAsync(3);
        worker.AnswerNext();

        Assert.Equal([2L, 3, 4, 5], (await Task.WhenAll(queued).DefaultTimeout()).Select(a => a.FuelConsumed));
        Assert.Equal(6, (await late.DefaultTimeout()).FuelConsumed);
        Assert.Equal([[1L], [2, 3, 4, 5], [4, 5, 6]], worker.Messages);
        Assert.Equal(new Dictionary<long, int> { [2] = 1, [3] = 1, [4] = 2, [5] = 2 }, sent.OrderBy(p => p.Key).ToDictionary());
    }

    [Fact]
    public async Task InvokeAsync_TellingACallSentThrows_EveryCallOfTheMessageFailsWithItAndTheLaneFrees()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var refused = new PluginException(ErrorKind.ProtocolError, "p", "refused");
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var calm = coalescer.InvokeAsync(Call(2), Deadline, 0, combinable: true, null, CancellationToken.None);
        var throwing = coalescer.InvokeAsync(Call(3), Deadline, 0, combinable: true, _ => throw refused, CancellationToken.None);

        worker.AnswerNext();
        await first.DefaultTimeout();

        Assert.Same(refused, await Assert.ThrowsAsync<PluginException>(() => calm).DefaultTimeout());
        Assert.Same(refused, await Assert.ThrowsAsync<PluginException>(() => throwing).DefaultTimeout());
        var after = coalescer.InvokeAsync(Call(4), Deadline, 0, combinable: true, null, CancellationToken.None);
        await worker.WaitForMessagesAsync(2);
        worker.AnswerNext();
        Assert.Equal(4, (await after.DefaultTimeout()).FuelConsumed);
        Assert.Equal([[1L], [4]], worker.Messages);
    }

    [Fact]
    public async Task Abandon_CallsAndABatchWaiting_FailThemWithoutSendingAndLeavesTheSentCallAlone()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var sent = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var waiting = Enumerable.Range(2, 2).Select(i => coalescer.InvokeAsync(Call(i), Deadline, 0, combinable: true, null, CancellationToken.None)).ToArray();
        var batch = coalescer.RunAloneAsync(_ => Task.FromResult(1));
        var unloaded = new PluginException(ErrorKind.SandboxTerminated, "p", "unloaded");

        coalescer.Abandon(() => unloaded);

        Assert.Equal(0, coalescer.Waiting);
        foreach (var call in waiting)
        {
            Assert.Same(unloaded, await Assert.ThrowsAsync<PluginException>(() => call).DefaultTimeout());
        }

        Assert.Same(unloaded, await Assert.ThrowsAsync<PluginException>(() => batch).DefaultTimeout());
        worker.AnswerNext();
        Assert.Equal(1, (await sent.DefaultTimeout()).FuelConsumed);
        Assert.Equal([[1L]], worker.Messages);
    }

    [Fact]
    public async Task InvokeAsync_ThePluginsLineIsFull_RefusesTheCallAtOnceAndCountsOnlyTheWaiting()
    {
        var worker = new FakeWorker();
        var account = new QueueAccount();
        _ = new CallGate(maxQueued: 2, capacity: 100, account);
        var coalescer = worker.Coalescer(lanes: 1, maxQueued: 2, account: account);
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var waiting = Enumerable.Range(2, 2).Select(i => coalescer.InvokeAsync(Call(i), Deadline, 0, combinable: true, null, CancellationToken.None)).ToArray();

        var ex = await Assert.ThrowsAsync<OverloadedException>(() => coalescer.InvokeAsync(Call(4), Deadline, 0, combinable: true, null, CancellationToken.None)).DefaultTimeout();
        var batch = await Assert.ThrowsAsync<OverloadedException>(() => coalescer.RunAloneAsync(_ => Task.FromResult(1))).DefaultTimeout();

        Assert.Equal((2, 2), (ex.Queued, batch.Queued));
        Assert.Equal((2, 2), (account.InLanes, account.Total));
        worker.AnswerNext();
        await first.DefaultTimeout();
        await worker.WaitForMessagesAsync(2);
        Assert.Equal(0, account.InLanes);
        worker.AnswerNext();
        await Task.WhenAll(waiting).DefaultTimeout();
        Assert.Equal([[1L], [2, 3]], worker.Messages);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(3, -1)]
    [InlineData(3, 1)]
    public async Task InvokeAsync_TheWorkerMiscountsTheCallsItDidNotStart_EveryCallFailsAsMalformed(int answered, int notStarted)
    {
        // (0, 3): none ran, though a message's first call always runs (else the calls would go round forever);
        // (3, -1): a negative count; (3, 1): answers and calls not started do not add up to the calls sent.
        var worker = new FakeWorker { HostileAnswer = (answered, notStarted) };
        var coalescer = worker.Coalescer(lanes: 1);

        var queued = await CoalescedBehindOneCallAsync(worker, coalescer, 3);
        worker.AnswerNext();

        foreach (var call in queued)
        {
            var ex = await Assert.ThrowsAsync<PluginException>(() => call).DefaultTimeout();
            Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
            Assert.Contains("not started", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(2, worker.Messages.Count);
    }

    [Fact]
    public async Task RunAloneAsync_EveryLaneBusy_WaitsItsTurnAndRunsWithTheLaneToItself()
    {
        var worker = new FakeWorker();
        var coalescer = worker.Coalescer(lanes: 1);
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var batchRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseBatch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = coalescer.RunAloneAsync(async _ =>
        {
            batchRan.SetResult();
            await releaseBatch.Task;
            return 42;
        });
        var after = coalescer.InvokeAsync(Call(3), Deadline, 0, combinable: true, null, CancellationToken.None);

        worker.AnswerNext();
        await first.DefaultTimeout();
        await batchRan.Task.DefaultTimeout();
        Assert.Single(worker.Messages);

        releaseBatch.SetResult();
        Assert.Equal(42, await batch.DefaultTimeout());
        await worker.WaitForMessagesAsync(2);
        worker.AnswerNext();
        Assert.Equal(3, (await after.DefaultTimeout()).FuelConsumed);
    }

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private static InvokeRequest Call(long id) => new() { CallId = id, Function = "add", TimeoutMs = 1000 };

    /// <summary>Occupies the one lane with call 1, queues <paramref name="count"/> calls, frees the lane and waits until they are sent together.</summary>
    private static async Task<Task<InvokeResponse>[]> CoalescedBehindOneCallAsync(FakeWorker worker, CallCoalescer coalescer, int count, Func<long, Action<TimeSpan>>? sent = null)
    {
        var first = coalescer.InvokeAsync(Call(1), Deadline, 0, combinable: true, null, CancellationToken.None);
        var queued = Enumerable.Range(2, count).Select(i => coalescer.InvokeAsync(Call(i), Deadline, 0, combinable: true, sent?.Invoke(i), CancellationToken.None)).ToArray();
        worker.AnswerNext();
        await first.DefaultTimeout();
        await worker.WaitForMessagesAsync(2);
        Assert.Equal(count, worker.Messages[1].Count);
        return queued;
    }

    /// <summary>A worker that records each message and answers it when the test says (each call's fuel = its id).</summary>
    private sealed class FakeWorker(bool autoAnswer = false)
    {
        private readonly ConcurrentQueue<TaskCompletionSource<bool>> open = new();
        private readonly List<List<long>> messages = [];
        private readonly List<bool> many = [];
        private int atOnce;
        private int mostAtOnce;

        public bool DropLastAnswer { get; init; }

        /// <summary>Gets or sets how many calls the next coalesced message runs; the rest it hands back unstarted (0: all).</summary>
        public int StartOnlyOnce { get; set; }

        /// <summary>Gets a hostile answer to every coalesced message, when set: how many results it keeps, and its <see cref="InvokeManyResponse.NotStarted"/>.</summary>
        public (int Answered, int NotStarted)? HostileAnswer { get; init; }

        public TimeSpan LastManyDeadline { get; private set; }

        public long LastFuelBudget { get; private set; }

        public Exception? Gone { get; set; }

        public int MostAtOnce => Volatile.Read(ref mostAtOnce);

        public List<List<long>> Messages
        {
            get
            {
                lock (messages)
                {
                    return [.. messages.Select(m => m.ToList())];
                }
            }
        }

        public List<bool> WasMany
        {
            get
            {
                lock (messages)
                {
                    return [.. many];
                }
            }
        }

        public CallCoalescer Coalescer(int lanes, int maxCalls = 64, long maxBytes = 1 << 20, TimeSpan? queueTimeout = null, int maxQueued = 1024, QueueAccount? account = null) => new(
            lanes,
            maxCalls,
            maxBytes,
            queueTimeout ?? TimeSpan.FromSeconds(30),
            maxQueued,
            account,
            async (call, _) => (await SendAsync([call], isMany: false))[0],
            async (calls, deadline) =>
            {
                LastFuelBudget = calls.FuelBudget;
                LastManyDeadline = deadline;
                var results = await SendAsync(calls.Calls, isMany: true);
                if (HostileAnswer is { } hostile)
                {
                    return new InvokeManyResponse { Results = results[..hostile.Answered], NotStarted = hostile.NotStarted };
                }

                var ran = StartOnlyOnce;
                StartOnlyOnce = 0;
                return ran > 0 && ran < results.Length
                    ? new InvokeManyResponse { Results = results[..ran], NotStarted = results.Length - ran }
                    : new InvokeManyResponse { Results = results };
            },
            () => long.MaxValue - 1,
            () => Gone,
            (queued, waited) => new OverloadedException("p", queued, TimeSpan.FromSeconds(1), waited),
            queued => new OverloadedException("p", queued, TimeSpan.FromSeconds(1)),
            problem => new PluginException(ErrorKind.ProtocolError, "p", "the worker answered " + problem));

        public void AnswerNext()
        {
            Assert.True(open.TryDequeue(out var message), "no message is waiting for an answer");
            message.SetResult(true);
        }

        public void FailNext(Exception error)
        {
            Assert.True(open.TryDequeue(out var message), "no message is waiting for an answer");
            message.SetException(error);
        }

        public Task WaitForMessagesAsync(int count) => Eventually.WaitForAsync(() => Messages.Count >= count && !open.IsEmpty, $"{count} messages sent");

        private async Task<InvokeResponse[]> SendAsync(InvokeRequest[] calls, bool isMany)
        {
            var now = Interlocked.Increment(ref atOnce);
            InterlockedMax(ref mostAtOnce, now);
            try
            {
                lock (messages)
                {
                    messages.Add([.. calls.Select(c => c.CallId)]);
                    many.Add(isMany);
                }

                if (autoAnswer)
                {
                    await Task.Yield();
                }
                else
                {
                    var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    open.Enqueue(answer);
                    await answer.Task;
                }

                var answers = calls.Select(c => new InvokeResponse { FuelConsumed = c.CallId }).ToArray();
                return isMany && DropLastAnswer ? answers[..^1] : answers;
            }
            finally
            {
                Interlocked.Decrement(ref atOnce);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            var current = Volatile.Read(ref target);
            while (value > current && Interlocked.CompareExchange(ref target, value, current) != current)
            {
                current = Volatile.Read(ref target);
            }
        }
    }
}

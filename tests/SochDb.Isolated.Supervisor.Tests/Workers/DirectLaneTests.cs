using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Direct;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Tests.Workers;

/// <summary>The supervisor's end of the direct lane against an in-process peer playing the worker, over a real socket.</summary>
public sealed class DirectLaneTests : IAsyncLifetime
{
    private const string Secret = "0123456789abcdef";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly WireFormat Wire = WireFormat.MessagePackLengthPrefixed;
    private readonly ConcurrentQueue<string> violations = new();
    private readonly string path = Path.Combine(Path.GetTempPath(), $"sochdb-lane-test-{Guid.NewGuid():N}");
    private Func<HostCallRequest, CancellationToken, Task<HostCallResponse>> hostCalls = (_, _) => Task.FromResult(new HostCallResponse { Status = HostStatus.Ok });
    private Socket? worker;
    private DirectFrameReader? workerReader;
    private DirectLane? lane;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        lane?.Dispose();
        worker?.Dispose();
        File.Delete(path);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task InvokeAsync_WorkerAnswers_CompletesTheCallAndFreesTheLane()
    {
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        Assert.False(lane.TryAcquire());

        var call = lane.InvokeAsync(new InvokeRequest { CallId = 5, Function = "add" });
        var request = ReadAtWorker(DirectFrameKind.Invoke, 5);
        Assert.Equal("add", DirectCodec.DecodeInvokeRequest(request.Payload, Wire).Function);
        DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 5, DirectCodec.Encode(new InvokeResponse { FuelConsumed = 12 }, Wire));

        Assert.Equal(12, (await call.WaitAsync(Bound)).FuelConsumed);
        Assert.True(lane.TryAcquire());
        Assert.Empty(violations);
    }

    [Fact]
    public async Task InvokeAsync_HostCallsDuringTheCall_AreAnsweredWithTheirSequenceSyncOrAsync()
    {
        var later = new TaskCompletionSource<HostCallResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        hostCalls = (request, _) => request.Function == "slow" ? later.Task : Task.FromResult(new HostCallResponse { Status = HostStatus.Ok, Data = Encoding.UTF8.GetBytes(request.Function) });
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 1 });
        ReadAtWorker(DirectFrameKind.Invoke, 1);

        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "fast" }, Wire));
        var first = ReadAtWorker(DirectFrameKind.HostCallResult, 1);
        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 2, DirectCodec.Encode(new HostCallRequest { Function = "slow" }, Wire));
        later.SetResult(new HostCallResponse { Status = HostStatus.Denied });
        var second = ReadAtWorker(DirectFrameKind.HostCallResult, 2);
        DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 1, DirectCodec.Encode(new InvokeResponse(), Wire));

        Assert.Equal("fast", Encoding.UTF8.GetString(DirectCodec.DecodeHostCallResponse(first.Payload, Wire).Data!));
        Assert.Equal(HostStatus.Denied, DirectCodec.DecodeHostCallResponse(second.Payload, Wire).Status);
        await call.WaitAsync(Bound);
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Answer_ANewerHostCallArrives_CancelsTheOlderOneAndDropsItsAnswer()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hostCalls = async (request, cancellationToken) =>
        {
            if (request.Function == "slow")
            {
                // The worker gave up on this one (its budget ran out) and moved on: the handler is told, and its answer goes nowhere.
                await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => cancelled.TrySetResult(), TaskScheduler.Default);
                return new HostCallResponse { Status = HostStatus.Timeout };
            }

            return new HostCallResponse { Status = HostStatus.Ok };
        };
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 1 });
        ReadAtWorker(DirectFrameKind.Invoke, 1);

        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "slow" }, Wire));
        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 2, DirectCodec.Encode(new HostCallRequest { Function = "fast" }, Wire));

        ReadAtWorker(DirectFrameKind.HostCallResult, 2);
        await cancelled.Task.WaitAsync(Bound);
        DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 1, DirectCodec.Encode(new InvokeResponse(), Wire));
        await call.WaitAsync(Bound);
        Assert.False(workerReader!.TryRead(TimeSpan.FromMilliseconds(200), out var late), $"a {late.Kind} frame arrived");
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Complete_TheCallEnds_CancelsItsHostCallsStillBeingAnswered()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hostCalls = async (_, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => cancelled.TrySetResult(), TaskScheduler.Default);
            return new HostCallResponse { Status = HostStatus.Timeout };
        };
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 1 });
        ReadAtWorker(DirectFrameKind.Invoke, 1);

        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "slow" }, Wire));
        DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 1, DirectCodec.Encode(new InvokeResponse(), Wire));

        await call.WaitAsync(Bound);
        await cancelled.Task.WaitAsync(Bound);
        Assert.False(workerReader!.TryRead(TimeSpan.FromMilliseconds(200), out var late), $"a {late.Kind} frame arrived");
    }

    [Fact]
    public async Task Abort_AnAnswerBlockedOnAWorkerThatDoesNotRead_EndsTheSendAndFailsTheCall()
    {
        var big = new byte[16 * 1024 * 1024];
        hostCalls = (_, _) => Task.FromResult(new HostCallResponse { Status = HostStatus.Ok, Data = big });
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 4 });
        ReadAtWorker(DirectFrameKind.Invoke, 4);

        // The answer is written on the reader thread, and the worker never reads it: the send blocks.
        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "read" }, Wire));
        await Task.Delay(200);
        Assert.False(call.IsCompleted);
        lane.Abort(4, "deadline");

        var ex = await Assert.ThrowsAsync<IOException>(() => call.WaitAsync(Bound));
        Assert.Contains("deadline", ex.Message, StringComparison.Ordinal);
        Assert.False(lane.IsOpen);
    }

    [Fact]
    public async Task Abort_ForACallNoLongerInFlight_LeavesTheLaneOpen()
    {
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 6 });
        ReadAtWorker(DirectFrameKind.Invoke, 6);
        DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 6, DirectCodec.Encode(new InvokeResponse(), Wire));
        await call.WaitAsync(Bound);

        lane.Abort(6, "deadline");

        Assert.True(lane.IsOpen);
        Assert.True(lane.TryAcquire());
    }

    [Fact]
    public async Task InvokeAsync_HostCallHandlerThrows_AnswersHostError()
    {
        hostCalls = (_, _) => throw new InvalidOperationException("no plugin");
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        _ = lane.InvokeAsync(new InvokeRequest { CallId = 1 });
        ReadAtWorker(DirectFrameKind.Invoke, 1);

        DirectFrame.Write(worker!, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "read" }, Wire));

        Assert.Equal(HostStatus.HostError, DirectCodec.DecodeHostCallResponse(ReadAtWorker(DirectFrameKind.HostCallResult, 1).Payload, Wire).Status);
    }

    [Fact]
    public async Task InvokeAsync_WorkerRejectsTheCall_FaultsWithItsReasonAndFreesTheLane()
    {
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 3 });
        ReadAtWorker(DirectFrameKind.Invoke, 3);

        DirectFrame.Write(worker!, DirectFrameKind.InvokeRejected, 3, "no plugin is loaded"u8);

        var ex = await Assert.ThrowsAsync<DirectLaneRejectedException>(() => call.WaitAsync(Bound));
        Assert.Equal("no plugin is loaded", ex.Message);
        Assert.True(lane.TryAcquire());
    }

    [Theory]
    [InlineData("wrong-id", "while call 9 was in flight")]
    [InlineData("undecodable", "cannot be decoded")]
    [InlineData("supervisor-kind", "which only the supervisor sends")]
    [InlineData("unknown-kind", "header is malformed")]
    public async Task InvokeAsync_WorkerBreaksTheProtocol_ReportsTheViolationAndFailsTheCall(string fault, string expected)
    {
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 9 });
        ReadAtWorker(DirectFrameKind.Invoke, 9);

        switch (fault)
        {
            case "wrong-id":
                DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 10, DirectCodec.Encode(new InvokeResponse(), Wire));
                break;
            case "undecodable":
                DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, 9, [0xC1, 0xC1]);
                break;
            case "supervisor-kind":
                DirectFrame.Write(worker!, DirectFrameKind.HostCallResult, 9, []);
                break;
            default:
                worker!.Send(new byte[DirectFrame.HeaderBytes] { 0, 0, 0, 0, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
                break;
        }

        await Assert.ThrowsAsync<IOException>(() => call.WaitAsync(Bound));
        Assert.Contains(expected, Assert.Single(violations), StringComparison.Ordinal);
        Assert.False(lane.IsOpen);
        Assert.False(lane.TryAcquire());
    }

    [Theory]
    [InlineData(DirectFrameKind.HostCall, "made host call 1 with no call in flight")]
    [InlineData(DirectFrameKind.InvokeResult, "sent a InvokeResult frame (1) on its direct lane with no call in flight")]
    public async Task InvokeAsync_WorkerSentAFrameBetweenCalls_IsAViolationAndTheCallIsNotSent(DirectFrameKind kind, string expected)
    {
        await ConnectAsync();
        DirectFrame.Write(worker!, kind, 1, kind == DirectFrameKind.HostCall ? DirectCodec.Encode(new HostCallRequest { Function = "read" }, Wire) : DirectCodec.Encode(new InvokeResponse(), Wire));
        Assert.True(lane!.TryAcquire());

        await Assert.ThrowsAsync<IOException>(() => lane.InvokeAsync(new InvokeRequest { CallId = 2 }).WaitAsync(Bound));

        Assert.Contains(expected, Assert.Single(violations), StringComparison.Ordinal);
        Assert.False(lane.IsOpen);
        // The lane was closed with nothing sent on it: the worker's end reads its end, not the call.
        Assert.Throws<EndOfStreamException>(() => workerReader!.TryRead(Bound, out _));
    }

    [Fact]
    public async Task InvokeAsync_WorkerAnswersWithinThePoll_IsReadOnTheCallersThread()
    {
        // A peer that makes one host call per call and answers as fast as it can, and a lane that polls for a
        // millisecond: the handler records the thread that read the host call. With no poll it would always be the
        // reader thread; the count is loose on purpose (a busy machine may miss the window now and then).
        var readOn = 0;
        hostCalls = (_, _) =>
        {
            Volatile.Write(ref readOn, Environment.CurrentManagedThreadId);
            return Task.FromResult(new HostCallResponse { Status = HostStatus.Ok });
        };
        await ConnectAsync(TimeSpan.FromMilliseconds(1));
        StartPeer(frame =>
        {
            DirectFrame.Write(worker!, DirectFrameKind.HostCall, frame.Id, DirectCodec.Encode(new HostCallRequest { Function = "read" }, Wire));
            if (!workerReader!.TryRead(Bound, out var answer) || answer.Kind != DirectFrameKind.HostCallResult)
            {
                // No answer: the call is left unanswered and the test fails at its bound (no assertion off the test's thread).
                return;
            }

            DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, frame.Id, DirectCodec.Encode(new InvokeResponse { FuelConsumed = frame.Id }, Wire));
        });

        var onCaller = 0;
        for (var id = 1; id <= 200; id++)
        {
            Assert.True(lane!.TryAcquire());
            var caller = Environment.CurrentManagedThreadId;
            Volatile.Write(ref readOn, 0);
            var call = lane.InvokeAsync(new InvokeRequest { CallId = id });
            onCaller += call.IsCompleted && Volatile.Read(ref readOn) == caller ? 1 : 0;
            Assert.Equal(id, (await call.WaitAsync(Bound)).FuelConsumed);
        }

        Assert.True(onCaller > 0, "no call was read on its caller's thread");
        Assert.Empty(violations);
    }

    [Fact]
    public async Task InvokeAsync_WorkerStreamsHostCalls_GivesTheCallersThreadBackAfterThePoll()
    {
        // A worker that answers every host-call answer with another host call, for ever: the caller's thread leaves after
        // its window however many come, the reader thread answers the rest, and the deadline's Abort ends the call.
        await ConnectAsync(TimeSpan.FromMilliseconds(1));
        var hostCallsMade = 0;
        StartPeer(frame =>
        {
            for (var sequence = 1L; ; sequence++)
            {
                DirectFrame.Write(worker!, DirectFrameKind.HostCall, sequence, DirectCodec.Encode(new HostCallRequest { Function = "read" }, Wire));
                Interlocked.Increment(ref hostCallsMade);
                if (!workerReader!.TryRead(Bound, out _))
                {
                    return;
                }
            }
        });
        Assert.True(lane!.TryAcquire());

        // StartNew, not Run: the point is that InvokeAsync itself returns (Run would unwrap and await the call).
        var call = await Task.Factory.StartNew(() => lane.InvokeAsync(new InvokeRequest { CallId = 1 }), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default).WaitAsync(Bound);
        var seen = Volatile.Read(ref hostCallsMade);
        await Eventually(() => Volatile.Read(ref hostCallsMade) > seen + 10);
        Assert.False(call.IsCompleted);
        lane.Abort(1, "the call's deadline passed");

        var ex = await Assert.ThrowsAsync<IOException>(() => call.WaitAsync(Bound));
        Assert.Contains("deadline", ex.Message, StringComparison.Ordinal);
        Assert.Empty(violations);
    }

    [Fact]
    public async Task InvokeAsync_WorkerClosedTheLaneBetweenCalls_FailsTheCallWithoutSendingIt()
    {
        await ConnectAsync();
        worker!.Shutdown(SocketShutdown.Send);
        Assert.True(lane!.TryAcquire());

        var ex = await Assert.ThrowsAsync<IOException>(() => lane.InvokeAsync(new InvokeRequest { CallId = 1 }).WaitAsync(Bound));

        // The lane cannot tell an exited worker from a live one that closed it: its owner does, and only then calls it a violation.
        Assert.Contains("closed it between calls", ex.Message, StringComparison.Ordinal);
        Assert.Empty(violations);
        Assert.False(lane.IsOpen);
        Assert.Throws<EndOfStreamException>(() => workerReader!.TryRead(Bound, out _));
    }

    [Fact]
    public async Task InvokeAsync_AnswerAfterThePoll_IsReadByTheReaderThread()
    {
        await ConnectAsync();
        for (var id = 1; id <= 3; id++)
        {
            Assert.True(lane!.TryAcquire());
            var call = lane.InvokeAsync(new InvokeRequest { CallId = id });
            ReadAtWorker(DirectFrameKind.Invoke, id);
            await Task.Delay(20);
            Assert.False(call.IsCompleted);

            DirectFrame.Write(worker!, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "read" }, Wire));
            ReadAtWorker(DirectFrameKind.HostCallResult, 1);
            DirectFrame.Write(worker!, DirectFrameKind.InvokeResult, id, DirectCodec.Encode(new InvokeResponse { FuelConsumed = id }, Wire));

            Assert.Equal(id, (await call.WaitAsync(Bound)).FuelConsumed);
        }

        Assert.Empty(violations);
    }

    [Fact]
    public async Task InvokeAsync_WorkerClosesTheLane_FailsTheCallWithoutAViolation()
    {
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        var call = lane.InvokeAsync(new InvokeRequest { CallId = 1 });
        ReadAtWorker(DirectFrameKind.Invoke, 1);

        worker!.Shutdown(SocketShutdown.Both);

        var ex = await Assert.ThrowsAsync<IOException>(() => call.WaitAsync(Bound));
        Assert.Contains("the direct call lane closed", ex.Message, StringComparison.Ordinal);
        Assert.Empty(violations);
    }

    [Fact]
    public async Task InvokeAsync_AfterTheLaneClosed_FailsAtOnce()
    {
        await ConnectAsync();
        Assert.True(lane!.TryAcquire());
        lane.Dispose();

        await Assert.ThrowsAsync<IOException>(() => lane.InvokeAsync(new InvokeRequest { CallId = 1 }).WaitAsync(Bound));
        Assert.Empty(violations);
    }

    [Fact]
    public async Task AcceptAsync_PeerWithTheWrongSecret_IsRefused()
    {
        using var listener = DirectLane.Listen(path);
        worker = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        worker.Connect(new UnixDomainSocketEndPoint(path));
        DirectFrame.Write(worker, DirectFrameKind.Hello, 0, "fedcba9876543210"u8);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => DirectLane.AcceptAsync(listener, Secret, Wire, 1 << 20, hostCalls, violations.Enqueue, () => false, TimeSpan.Zero, CancellationToken.None).WaitAsync(Bound));

        Assert.Contains("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcceptAsync_WorkerGoneBeforeConnecting_ReturnsNull()
    {
        using var listener = DirectLane.Listen(path);

        var accepted = await DirectLane.AcceptAsync(listener, Secret, Wire, 1 << 20, hostCalls, violations.Enqueue, () => true, TimeSpan.Zero, CancellationToken.None).WaitAsync(Bound);

        Assert.Null(accepted);
    }

    [Fact]
    public async Task AcceptAsync_BudgetRunsOut_IsCancelled()
    {
        using var listener = DirectLane.Listen(path);
        using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DirectLane.AcceptAsync(listener, Secret, Wire, 1 << 20, hostCalls, violations.Enqueue, () => false, TimeSpan.Zero, budget.Token).WaitAsync(Bound));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(10);
        }
    }

    /// <summary>Plays the worker on a thread of its own: hands each call it reads to <paramref name="serve"/> until the lane closes.</summary>
    private void StartPeer(Action<DirectFrame> serve)
    {
        new Thread(() =>
        {
            try
            {
                while (workerReader!.TryRead(null, out var frame))
                {
                    serve(frame);
                }
            }
            catch (Exception ex) when (ex is EndOfStreamException or SocketException or ObjectDisposedException)
            {
                // The lane closed: the test is over.
            }
        }) { IsBackground = true, Name = "test-peer" }.Start();
    }

    private async Task ConnectAsync(TimeSpan? spin = null)
    {
        using var listener = DirectLane.Listen(path);
        worker = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        worker.Connect(new UnixDomainSocketEndPoint(path));
        DirectFrame.Write(worker, DirectFrameKind.Hello, 0, Encoding.UTF8.GetBytes(Secret));
        lane = await DirectLane.AcceptAsync(listener, Secret, Wire, 1 << 20, (r, c) => hostCalls(r, c), violations.Enqueue, () => false, spin ?? TimeSpan.FromMicroseconds(50), CancellationToken.None).WaitAsync(Bound);
        Assert.NotNull(lane);
        lane.Start("test-lane");
        workerReader = new DirectFrameReader(worker, 1 << 20);
    }

    private DirectFrame ReadAtWorker(DirectFrameKind kind, long id)
    {
        Assert.True(workerReader!.TryRead(Bound, out var frame), $"no {kind} frame arrived");
        Assert.Equal((kind, id), (frame.Kind, frame.Id));
        return new DirectFrame(frame.Kind, frame.Id, frame.Payload.ToArray());
    }
}

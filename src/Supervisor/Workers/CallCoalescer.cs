using System.Diagnostics;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Plugins;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// Sends one worker's calls over at most as many messages at once as the worker has instances (its lanes), and
/// coalesces the calls that arrive while every lane is busy: when a lane frees, the calls waiting for it go together in
/// one <c>worker.invokeMany</c> message, run one after another in one instance. A call that finds a free lane is sent
/// on its own at once, so coalescing adds nothing to a call's latency when the plugin is not saturated; under load one
/// round trip carries many calls instead of one (see docs/benchmarks.md).
/// </summary>
/// <remarks>
/// A call's timeout is its run time, as at the plugin's gate: the wait for a lane is bounded by the queue timeout, not
/// by the call's timeout, and in a message each call has its whole timeout from its own start. The worker starts a call
/// of a message only while the message has run for less than that call's timeout, and hands back the calls it did not
/// start; they go first in the next message, whose first call always runs. So a message ends within twice its longest
/// timeout (its deadline here), and no call fails for the time others took.
/// Batches and calls that may answer with buffers take a lane on their own: a coalesced answer holds numbers only, so it
/// stays small whatever the calls return. A waiting call leaves the line when its caller cancels or when it has waited
/// the queue timeout, as it would at the plugin's gate. Every message's answer completes its calls' tasks
/// asynchronously: a caller's continuation never runs on the thread that hands out a message's answers, so a caller
/// that blocks cannot hold up (or deadlock on) the other calls of its message.
/// </remarks>
internal sealed class CallCoalescer
{
    private readonly Lock sync = new();
    private readonly LinkedList<Pending> queue = new();
    private readonly int maxCalls;
    private readonly long maxBytes;
    private readonly TimeSpan queueTimeout;
    private readonly int maxQueued;
    private readonly QueueAccount? account;
    private readonly Func<int, Exception> lineFull;
    private readonly Func<InvokeRequest, TimeSpan, Task<InvokeResponse>> sendOne;
    private readonly Func<InvokeManyRequest, TimeSpan, Task<InvokeManyResponse>> sendMany;
    private readonly Func<long> fuelLeft;
    private readonly Func<Exception?> gone;
    private readonly Func<int, TimeSpan, Exception> waitedTooLong;
    private readonly Func<string, Exception> malformed;
    private int freeLanes;

    /// <summary>Initializes a new instance of the <see cref="CallCoalescer"/> class.</summary>
    /// <param name="lanes">The messages that may be in the worker at once: its instances.</param>
    /// <param name="maxCalls">The most calls one message carries.</param>
    /// <param name="maxBytes">The most argument bytes one message carries (a call over it goes alone).</param>
    /// <param name="queueTimeout">The longest a call waits for a lane; past it, it fails with <paramref name="waitedTooLong"/>.</param>
    /// <param name="maxQueued">
    /// The most calls that may wait (with those counted in <paramref name="account"/>): a call that would wait beyond
    /// that fails with <paramref name="lineFull"/> at once, as at the plugin's gate.
    /// </param>
    /// <param name="account">The plugin's waiting calls, which this line counts into; <see langword="null"/> counts this line alone.</param>
    /// <param name="sendOne">Sends one call.</param>
    /// <param name="sendMany">Sends coalesced calls.</param>
    /// <param name="fuelLeft">What is left of the plugin's lifetime fuel budget, read when a message is sent.</param>
    /// <param name="gone">
    /// The error of calls that waited for a worker that can take no more messages (it exited, was killed, its channel
    /// closed): a <see cref="CallNotSentException"/>; <see langword="null"/> while it can.
    /// </param>
    /// <param name="waitedTooLong">Makes the error of a call that waited too long, from the calls still waiting and the wait.</param>
    /// <param name="lineFull">Makes the error of a call that found the line full, from the calls waiting.</param>
    /// <param name="malformed">Makes the error of calls whose coalesced answer has the wrong shape.</param>
    public CallCoalescer(
        int lanes,
        int maxCalls,
        long maxBytes,
        TimeSpan queueTimeout,
        int maxQueued,
        QueueAccount? account,
        Func<InvokeRequest, TimeSpan, Task<InvokeResponse>> sendOne,
        Func<InvokeManyRequest, TimeSpan, Task<InvokeManyResponse>> sendMany,
        Func<long> fuelLeft,
        Func<Exception?> gone,
        Func<int, TimeSpan, Exception> waitedTooLong,
        Func<int, Exception> lineFull,
        Func<string, Exception> malformed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCalls, 1);
        freeLanes = lanes;
        this.maxCalls = maxCalls;
        this.maxBytes = maxBytes;
        this.queueTimeout = queueTimeout;
        this.maxQueued = maxQueued;
        this.account = account;
        this.lineFull = lineFull;
        this.sendOne = sendOne;
        this.sendMany = sendMany;
        this.fuelLeft = fuelLeft;
        this.gone = gone;
        this.waitedTooLong = waitedTooLong;
        this.malformed = malformed;
    }

    /// <summary>Gets the calls waiting for a lane.</summary>
    public int Waiting
    {
        get
        {
            lock (sync)
            {
                return queue.Count;
            }
        }
    }

    /// <summary>Runs one call: at once on a free lane, or with the calls that wait with it when a lane frees.</summary>
    /// <param name="request">The call.</param>
    /// <param name="deadline">The supervisor-side deadline of the call, from when it is sent.</param>
    /// <param name="bytes">The call's argument bytes.</param>
    /// <param name="combinable">Whether the call may share a message (it answers with numbers only).</param>
    /// <param name="sent">
    /// Told each time the call is sent, with how long it may wait in the worker before it starts (zero alone; its own
    /// timeout in a message, behind the calls before it): the caller's host-call budget starts then.
    /// </param>
    /// <param name="cancellationToken">Takes the call out of the line while it waits; once sent, it runs to its end.</param>
    /// <returns>The worker's answer.</returns>
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request, TimeSpan deadline, long bytes, bool combinable, Action<TimeSpan>? sent, CancellationToken cancellationToken)
    {
        if (TryTakeLane())
        {
            return SendOnLaneAsync(request, deadline, sent);
        }

        var pending = new Pending(request, deadline, combinable && bytes <= maxBytes ? bytes : -1, null, null) { Sent = sent, Cancellation = cancellationToken };
        switch (Enqueue(pending, out var waiting))
        {
            case Entry.Lane:
                return SendOnLaneAsync(request, deadline, sent);
            case Entry.Full:
                return Task.FromException<InvokeResponse>(lineFull(waiting));
            default:
                Watch(pending, cancellationToken);
                return pending.Answer!.Task;
        }
    }

    /// <summary>
    /// Takes every waiting call (and batch) out of the line and fails it with <paramref name="error"/> without sending it:
    /// the plugin is being unloaded, and calls that wait for an instance then leave, as they do at the plugin's gate.
    /// Calls already sent run to their end.
    /// </summary>
    /// <param name="error">Makes each one's error.</param>
    public void Abandon(Func<Exception> error)
    {
        List<Pending> left;
        lock (sync)
        {
            left = [.. queue];
            queue.Clear();
            account?.Lanes(-left.Count);
        }

        foreach (var pending in left)
        {
            pending.StopWatching();
            pending.Fail(error());
        }
    }

    /// <summary>Runs work that needs a lane to itself (a batch).</summary>
    /// <typeparam name="T">The work's result.</typeparam>
    /// <param name="run">The work, given how long it waited for its lane.</param>
    /// <returns>Its result.</returns>
    public async Task<T> RunAloneAsync<T>(Func<TimeSpan, Task<T>> run)
    {
        if (TryTakeLane())
        {
            try
            {
                return await run(TimeSpan.Zero).ConfigureAwait(false);
            }
            finally
            {
                ReleaseLane();
            }
        }

        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Pending? pending = null;
        pending = new Pending(
            null,
            default,
            -1,
            async () =>
            {
                try
                {
                    done.TrySetResult(await run(Stopwatch.GetElapsedTime(pending!.Enqueued)).ConfigureAwait(false));
                }
                catch (Exception ex)
                {
                    done.TrySetException(ex);
                }
            },
            ex => done.TrySetException(ex));
        switch (Enqueue(pending, out var waiting))
        {
            case Entry.Lane:
                await RunGroupAsync([pending]).ConfigureAwait(false);
                break;
            case Entry.Full:
                throw lineFull(waiting);
            default:
                Watch(pending, CancellationToken.None);
                break;
        }

        return await done.Task.ConfigureAwait(false);
    }

    private bool TryTakeLane()
    {
        lock (sync)
        {
            if (freeLanes > 0 && queue.Count == 0)
            {
                freeLanes--;
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// Queues a call, takes a lane for it after all if one freed since <see cref="TryTakeLane"/>, or refuses it when the
    /// plugin's line is full (<paramref name="waiting"/>: the calls waiting then).
    /// </summary>
    private Entry Enqueue(Pending pending, out int waiting)
    {
        // Read before this line's lock: the gate's count takes the gate's lock, which must never nest inside this one.
        var atGate = account?.Gate?.Queued ?? 0;
        lock (sync)
        {
            if (freeLanes > 0 && queue.Count == 0)
            {
                freeLanes--;
                waiting = 0;
                return Entry.Lane;
            }

            waiting = atGate + (account?.InLanes ?? queue.Count);
            if (waiting >= maxQueued)
            {
                return Entry.Full;
            }

            queue.AddLast(pending.Node);
            account?.Lanes(1);
            return Entry.Queued;
        }
    }

    /// <summary>Takes a waiting call out of the line when it has waited the queue timeout or its caller cancels.</summary>
    private void Watch(Pending pending, CancellationToken cancellationToken, int arming = 0)
    {
        pending.Watch(
            arming,
            queueTimeout,
            timedOut =>
            {
                int stillWaiting;
                lock (sync)
                {
                    if (pending.Node.List is null)
                    {
                        // Already on its way to the worker.
                        return;
                    }

                    queue.Remove(pending.Node);
                    account?.Lanes(-1);
                    stillWaiting = queue.Count;
                }

                pending.StopWatching();
                pending.Fail(timedOut ? waitedTooLong(stillWaiting, Stopwatch.GetElapsedTime(pending.Enqueued)) : new OperationCanceledException(cancellationToken));
            },
            cancellationToken);
    }

    private async Task<InvokeResponse> SendOnLaneAsync(InvokeRequest request, TimeSpan deadline, Action<TimeSpan>? sent)
    {
        try
        {
            sent?.Invoke(TimeSpan.Zero);
            return await sendOne(request, deadline).ConfigureAwait(false);
        }
        finally
        {
            ReleaseLane();
        }
    }

    /// <summary>Hands a freed lane to the calls waiting for it, or frees it.</summary>
    private void ReleaseLane()
    {
        List<Pending>? group = null;
        lock (sync)
        {
            if (queue.First is { } first)
            {
                var head = first.Value;
                queue.RemoveFirst();
                group = [head];
                if (head.Bytes >= 0)
                {
                    var bytes = head.Bytes;
                    while (group.Count < maxCalls && queue.First is { Value: { Bytes: >= 0 } next } && bytes + next.Bytes <= maxBytes)
                    {
                        bytes += next.Bytes;
                        queue.RemoveFirst();
                        group.Add(next);
                    }
                }

                account?.Lanes(-group.Count);
            }
            else
            {
                freeLanes++;
            }
        }

        if (group is not null)
        {
            foreach (var call in group)
            {
                call.StopWatching();
            }

            // The lane passes to the group, whose task releases it again when the group's answer is in. It starts on
            // the pool, not here: a worker that fails every send at once would otherwise recurse once per queued group.
            _ = Task.Run(() => RunGroupAsync(group));
        }
    }

    private async Task RunGroupAsync(List<Pending> group)
    {
        try
        {
            if (gone() is { } notSent)
            {
                // Nothing of these ran: the supervisor routes them again, as calls that had waited at the gate.
                foreach (var call in group)
                {
                    call.Fail(notSent);
                }
            }
            else if (group is [{ Run: { } run }])
            {
                await run().ConfigureAwait(false);
            }
            else
            {
                await SendManyAsync(group).ConfigureAwait(false);
            }
        }
        finally
        {
            ReleaseLane();
        }
    }

    private async Task SendManyAsync(List<Pending> group)
    {
        var calls = new InvokeRequest[group.Count];
        var deadline = TimeSpan.Zero;
        List<Pending>? notStarted = null;
        try
        {
            for (var i = 0; i < calls.Length; i++)
            {
                // The worker may start a call as late as its timeout after taking the message, then give it its whole timeout.
                var call = calls[i] = group[i].Request!;
                var startBy = TimeSpan.FromMilliseconds(call.TimeoutMs);
                deadline = group[i].Deadline + startBy > deadline ? group[i].Deadline + startBy : deadline;
                group[i].Sent?.Invoke(startBy);
            }

            var answer = await sendMany(new InvokeManyRequest { Calls = calls, FuelBudget = fuelLeft() }, deadline).ConfigureAwait(false);
            if (answer.Results is not { } results || answer.NotStarted < 0 || answer.NotStarted >= calls.Length || results.Length != calls.Length - answer.NotStarted)
            {
                throw malformed($"{answer.Results?.Length ?? 0} answers and {answer.NotStarted} calls not started to {calls.Length} coalesced calls");
            }

            for (var i = 0; i < results.Length; i++)
            {
                if (results[i] is { } result)
                {
                    group[i].Answer!.TrySetResult(result);
                }
                else
                {
                    group[i].Answer!.TrySetException(malformed($"no answer to coalesced call {i}"));
                }
            }

            if (answer.NotStarted > 0)
            {
                notStarted = group.GetRange(results.Length, answer.NotStarted);
            }
        }
        catch (Exception ex)
        {
            // The message failed as a whole (the worker was lost, killed or broke the protocol): so did each of its calls.
            foreach (var call in group)
            {
                call.Answer!.TrySetException(ex);
            }
        }

        if (notStarted is not null)
        {
            Requeue(notStarted);
        }
    }

    /// <summary>
    /// Puts calls the worker did not start back at the head of the line, in their order, so that the lane their message
    /// frees takes them first (the first of them then runs as its message's first call). Each waits again under the
    /// queue timeout and its caller's token.
    /// </summary>
    private void Requeue(List<Pending> calls)
    {
        // Re-armed before they are back in the line, and outside its lock: a watch takes the line's lock inside its own.
        var armings = calls.Select(call => call.Rearm()).ToArray();
        lock (sync)
        {
            for (var i = calls.Count - 1; i >= 0; i--)
            {
                queue.AddFirst(calls[i].Node);
            }

            // Back in the line, over the bound if need be: they had been admitted, and nothing of them ran.
            account?.Lanes(calls.Count);
        }

        for (var i = 0; i < calls.Count; i++)
        {
            Watch(calls[i], calls[i].Cancellation, armings[i]);
        }
    }

    /// <summary>What <see cref="Enqueue"/> did with a call.</summary>
    private enum Entry
    {
        /// <summary>A lane was free: the call has it.</summary>
        Lane,

        /// <summary>The call waits in the line.</summary>
        Queued,

        /// <summary>The line is full: the call was refused.</summary>
        Full,
    }

    /// <summary>A call (or a batch, <see cref="Run"/>) waiting for a lane; <see cref="Bytes"/> is -1 when it must go alone.</summary>
    private sealed class Pending : IDisposable
    {
        private readonly Action<Exception>? fail;
        private readonly object watchSync = new();
        private CancellationTokenSource? expiry;
        private CancellationTokenRegistration expired;
        private CancellationTokenRegistration cancelled;
        private int stopped;
        private int armings;

        public Pending(InvokeRequest? request, TimeSpan deadline, long bytes, Func<Task>? run, Action<Exception>? fail)
        {
            Request = request;
            Deadline = deadline;
            Bytes = bytes;
            Run = run;
            this.fail = fail;
            Node = new LinkedListNode<Pending>(this);
            Answer = request is null ? null : new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public InvokeRequest? Request { get; }

        public TimeSpan Deadline { get; }

        public long Bytes { get; }

        public Func<Task>? Run { get; }

        /// <summary>Gets what to tell each time the call is sent (see <see cref="CallCoalescer.InvokeAsync"/>).</summary>
        public Action<TimeSpan>? Sent { get; init; }

        /// <summary>Gets the caller's token, which takes the call out of the line while it waits.</summary>
        public CancellationToken Cancellation { get; init; }

        public long Enqueued { get; } = Stopwatch.GetTimestamp();

        public LinkedListNode<Pending> Node { get; }

        public TaskCompletionSource<InvokeResponse>? Answer { get; }

        /// <summary>
        /// Calls <paramref name="leave"/> (with whether it timed out) when the wait times out or is cancelled; does nothing
        /// when the call has left the line since, or when <paramref name="arming"/> is not its current wait's (a late
        /// watch of an earlier wait, after the call was sent, handed back and re-armed).
        /// </summary>
        public void Watch(int arming, TimeSpan timeout, Action<bool> leave, CancellationToken cancellationToken)
        {
            // Under a (re-entrant) monitor: the call may leave the line on another thread while the watch is set up, and a
            // token already cancelled runs its callback, which stops the watch, right here.
            lock (watchSync)
            {
                if (stopped != 0 || arming != armings)
                {
                    return;
                }

                expiry = new CancellationTokenSource(timeout);
                expired = expiry.Token.Register(() => leave(true));
                if (cancellationToken.CanBeCanceled)
                {
                    cancelled = cancellationToken.Register(() => leave(false));
                }
            }
        }

        /// <summary>Lets <see cref="Watch"/> arm again, for a call going back into the line.</summary>
        /// <returns>The number of the new wait, for <see cref="Watch"/>.</returns>
        public int Rearm()
        {
            lock (watchSync)
            {
                stopped = 0;
                return ++armings;
            }
        }

        /// <summary>Stops the timer and the cancellation watch (the call left the line).</summary>
        public void StopWatching()
        {
            lock (watchSync)
            {
                // Unregister, not Dispose: Dispose waits for a callback running on another thread, which may itself be
                // waiting for this monitor.
                stopped = 1;
                expired.Unregister();
                cancelled.Unregister();
                expiry?.Dispose();
            }
        }

        /// <inheritdoc/>
        public void Dispose() => StopWatching();

        /// <summary>Fails the call or the batch without running it.</summary>
        /// <param name="error">Why.</param>
        public void Fail(Exception error)
        {
            if (fail is not null)
            {
                fail(error);
            }
            else
            {
                Answer?.TrySetException(error);
            }
        }
    }
}

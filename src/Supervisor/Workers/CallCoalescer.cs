using System.Diagnostics;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// Sends one worker's calls over at most as many messages at once as the worker has instances (its lanes), and
/// coalesces the calls that arrive while every lane is busy: when a lane frees, the calls waiting for it go together in
/// one <c>worker.invokeMany</c> message, run one after another in one instance. A call that finds a free lane is sent
/// on its own at once, so coalescing adds nothing to a call's latency when the plugin is not saturated; under load one
/// round trip carries many calls instead of one (see docs/benchmarks.md).
/// </summary>
/// <remarks>
/// Batches and calls that may answer with buffers take a lane on their own: a coalesced answer holds numbers only, so it
/// stays small whatever the calls return. Every message's answer completes its calls' tasks, asynchronously, so the
/// callers' own work after the call runs in parallel, not on the thread that read the answer.
/// </remarks>
internal sealed class CallCoalescer
{
    private readonly Lock sync = new();
    private readonly Queue<Pending> queue = new();
    private readonly int maxCalls;
    private readonly long maxBytes;
    private readonly TimeSpan queueTimeout;
    private readonly Func<InvokeRequest, TimeSpan, Task<InvokeResponse>> sendOne;
    private readonly Func<InvokeManyRequest, TimeSpan, Task<InvokeManyResponse>> sendMany;
    private readonly Func<int, TimeSpan, Exception> waitedTooLong;
    private readonly Func<string, Exception> malformed;
    private int freeLanes;

    /// <summary>Initializes a new instance of the <see cref="CallCoalescer"/> class.</summary>
    /// <param name="lanes">The messages that may be in the worker at once: its instances.</param>
    /// <param name="maxCalls">The most calls one message carries.</param>
    /// <param name="maxBytes">The most argument bytes one message carries (a call over it goes alone).</param>
    /// <param name="queueTimeout">The longest a call waits for a lane; past it, it fails with <paramref name="waitedTooLong"/>.</param>
    /// <param name="sendOne">Sends one call.</param>
    /// <param name="sendMany">Sends coalesced calls.</param>
    /// <param name="waitedTooLong">Makes the error of a call that waited too long, from the calls still waiting and the wait.</param>
    /// <param name="malformed">Makes the error of calls whose coalesced answer has the wrong shape.</param>
    public CallCoalescer(
        int lanes,
        int maxCalls,
        long maxBytes,
        TimeSpan queueTimeout,
        Func<InvokeRequest, TimeSpan, Task<InvokeResponse>> sendOne,
        Func<InvokeManyRequest, TimeSpan, Task<InvokeManyResponse>> sendMany,
        Func<int, TimeSpan, Exception> waitedTooLong,
        Func<string, Exception> malformed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCalls, 1);
        freeLanes = lanes;
        this.maxCalls = maxCalls;
        this.maxBytes = maxBytes;
        this.queueTimeout = queueTimeout;
        this.sendOne = sendOne;
        this.sendMany = sendMany;
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
    /// <returns>The worker's answer.</returns>
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request, TimeSpan deadline, long bytes, bool combinable)
    {
        if (TryTakeLane())
        {
            return SendOnLaneAsync(request, deadline);
        }

        var pending = new Pending(request, deadline, combinable && bytes <= maxBytes ? bytes : -1, null, null);
        return Enqueue(pending) ? SendOnLaneAsync(request, deadline) : pending.Answer!.Task;
    }

    /// <summary>Runs work that needs a lane to itself (a batch).</summary>
    /// <typeparam name="T">The work's result.</typeparam>
    /// <param name="run">The work.</param>
    /// <returns>Its result.</returns>
    public async Task<T> RunAloneAsync<T>(Func<Task<T>> run)
    {
        if (TryTakeLane())
        {
            try
            {
                return await run().ConfigureAwait(false);
            }
            finally
            {
                ReleaseLane();
            }
        }

        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = new Pending(
            null,
            default,
            -1,
            async () =>
            {
                try
                {
                    done.TrySetResult(await run().ConfigureAwait(false));
                }
                catch (Exception ex)
                {
                    done.TrySetException(ex);
                }
            },
            ex => done.TrySetException(ex));
        if (Enqueue(pending))
        {
            await RunGroupAsync([pending]).ConfigureAwait(false);
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

    /// <summary>Queues a call, or takes a lane for it after all if one freed since <see cref="TryTakeLane"/>.</summary>
    private bool Enqueue(Pending pending)
    {
        lock (sync)
        {
            if (freeLanes > 0 && queue.Count == 0)
            {
                freeLanes--;
                return true;
            }

            queue.Enqueue(pending);
            return false;
        }
    }

    private async Task<InvokeResponse> SendOnLaneAsync(InvokeRequest request, TimeSpan deadline)
    {
        try
        {
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
        List<Pending>? expired = null;
        int stillWaiting;
        lock (sync)
        {
            var now = Stopwatch.GetTimestamp();
            while (queue.TryPeek(out var head))
            {
                if (Stopwatch.GetElapsedTime(head.Enqueued, now) > queueTimeout)
                {
                    (expired ??= []).Add(queue.Dequeue());
                    continue;
                }

                group = [queue.Dequeue()];
                if (head.Bytes >= 0)
                {
                    var bytes = head.Bytes;
                    while (group.Count < maxCalls && queue.TryPeek(out var next) && next.Bytes >= 0 && bytes + next.Bytes <= maxBytes)
                    {
                        bytes += next.Bytes;
                        group.Add(queue.Dequeue());
                    }
                }

                break;
            }

            if (group is null)
            {
                freeLanes++;
            }

            stillWaiting = queue.Count;
        }

        if (expired is not null)
        {
            foreach (var call in expired)
            {
                call.Fail(waitedTooLong(stillWaiting, Stopwatch.GetElapsedTime(call.Enqueued)));
            }
        }

        if (group is not null)
        {
            // The lane passes to the group: its task releases it again when the group's answer is in.
            _ = RunGroupAsync(group);
        }
    }

    private async Task RunGroupAsync(List<Pending> group)
    {
        try
        {
            if (group is [{ Run: { } run }])
            {
                await run().ConfigureAwait(false);
            }
            else
            {
                // Even one call that waited goes as a coalesced message: the worker then counts its timeout from what is
                // left of it, and fails it without running when the wait spent it all.
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
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls.Length; i++)
        {
            // A call's timeout is a budget: the time it waited for a lane is spent.
            var call = calls[i] = group[i].Request!;
            call.TimeoutMs = Math.Max(0, call.TimeoutMs - (long)Stopwatch.GetElapsedTime(group[i].Enqueued, now).TotalMilliseconds);
            deadline = group[i].Deadline > deadline ? group[i].Deadline : deadline;
        }

        try
        {
            var answer = await sendMany(new InvokeManyRequest { Calls = calls }, deadline).ConfigureAwait(false);
            if (answer.Results.Length != calls.Length)
            {
                throw malformed($"{answer.Results.Length} answers to {calls.Length} coalesced calls");
            }

            for (var i = 0; i < calls.Length; i++)
            {
                if (answer.Results[i] is { } result)
                {
                    group[i].Answer!.TrySetResult(result);
                }
                else
                {
                    group[i].Answer!.TrySetException(malformed($"no answer to coalesced call {i}"));
                }
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
    }

    /// <summary>A call (or a batch, <see cref="Run"/>) waiting for a lane; <see cref="Bytes"/> is -1 when it must go alone.</summary>
    private sealed class Pending(InvokeRequest? request, TimeSpan deadline, long bytes, Func<Task>? run, Action<Exception>? fail)
    {
        public InvokeRequest? Request { get; } = request;

        public TimeSpan Deadline { get; } = deadline;

        public long Bytes { get; } = bytes;

        public Func<Task>? Run { get; } = run;

        public long Enqueued { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource<InvokeResponse>? Answer { get; } = request is null ? null : new(TaskCreationOptions.RunContinuationsAsynchronously);

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

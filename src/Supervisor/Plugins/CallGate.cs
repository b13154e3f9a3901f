namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A FIFO async semaphore with a bounded queue: up to <see cref="Capacity"/> calls to one plugin run at once, the rest
/// wait in arrival order, and once <c>maxQueued</c> calls wait, new ones are refused instead of piling up.
/// </summary>
/// <remarks>
/// A permit released while callers wait passes straight to the longest waiter, so a stream of new arrivals can never
/// overtake the queue. The capacity may change while permits are held (a reload to a manifest with another
/// <c>max_instances</c>): a raise admits waiters at once, a cut takes effect as permits come back.
/// </remarks>
internal sealed class CallGate
{
    private readonly Lock sync = new();
    private readonly LinkedList<TaskCompletionSource<bool>> waiters = new();
    private readonly int maxQueued;
    private readonly QueueAccount? account;
    private int capacity;
    private int inUse;

    /// <summary>Initializes a new instance of the <see cref="CallGate"/> class.</summary>
    /// <param name="maxQueued">The most callers that may wait while every permit is held.</param>
    /// <param name="capacity">The most callers inside at once (at least 1).</param>
    /// <param name="account">
    /// Calls that wait elsewhere and count against <paramref name="maxQueued"/> too: those past the gate in workers'
    /// lanes (call coalescing). The gate becomes the account's <see cref="QueueAccount.Gate"/>.
    /// </param>
    public CallGate(int maxQueued, int capacity = 1, QueueAccount? account = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.maxQueued = maxQueued;
        this.capacity = capacity;
        this.account = account;
        if (account is not null)
        {
            account.Gate = this;
        }
    }

    /// <summary>Gets the callers waiting now.</summary>
    public int Queued
    {
        get
        {
            lock (sync)
            {
                return waiters.Count;
            }
        }
    }

    /// <summary>Gets the callers inside now.</summary>
    public int InUse
    {
        get
        {
            lock (sync)
            {
                return inUse;
            }
        }
    }

    /// <summary>Gets or sets the most callers inside at once (at least 1).</summary>
    public int Capacity
    {
        get
        {
            lock (sync)
            {
                return capacity;
            }
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (sync)
            {
                capacity = value;
                AdmitWaiters();
            }
        }
    }

    /// <summary>Enters the gate, waiting in line while every permit is held.</summary>
    /// <param name="bypassBound">Whether to wait even when the queue is full.</param>
    /// <param name="cancellationToken">Cancels the wait; the caller then leaves the line.</param>
    /// <returns><see langword="true"/> once entered; <see langword="false"/> when the queue was full.</returns>
    public async Task<bool> EnterAsync(bool bypassBound, CancellationToken cancellationToken)
        => await EnterAsync(bypassBound, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false) == GateEntry.Entered;

    /// <summary>Enters the gate, waiting in line at most <paramref name="queueTimeout"/> while every permit is held.</summary>
    /// <param name="bypassBound">Whether to wait even when the queue is full.</param>
    /// <param name="queueTimeout">The longest wait in line, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; the caller then leaves the line.</param>
    /// <returns>Whether the caller entered, found the queue full, or waited too long.</returns>
    public async Task<GateEntry> EnterAsync(bool bypassBound, TimeSpan queueTimeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource<bool> waiter;
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (sync)
        {
            if (inUse < capacity && waiters.Count == 0)
            {
                inUse++;
                return GateEntry.Entered;
            }

            if (!bypassBound && waiters.Count + (account?.InLanes ?? 0) >= maxQueued)
            {
                return GateEntry.QueueFull;
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = waiters.AddLast(waiter);
        }

        using var timer = queueTimeout == Timeout.InfiniteTimeSpan ? null : new Timer(_ => Abandon(node, timedOut: true, default), null, queueTimeout, Timeout.InfiniteTimeSpan);
        using (cancellationToken.Register(() => Abandon(node, timedOut: false, cancellationToken)))
        {
            return await waiter.Task.ConfigureAwait(false) ? GateEntry.Entered : GateEntry.TimedOut;
        }
    }

    /// <summary>Leaves the gate, handing the permit to the longest waiter.</summary>
    public void Release()
    {
        lock (sync)
        {
            inUse--;
            AdmitWaiters();
        }
    }

    private void AdmitWaiters()
    {
        while (inUse < capacity && waiters.First is { } first)
        {
            waiters.RemoveFirst();
            if (first.Value.TrySetResult(true))
            {
                // The permit passes straight to the waiter.
                inUse++;
            }
        }
    }

    private void Abandon(LinkedListNode<TaskCompletionSource<bool>> node, bool timedOut, CancellationToken cancellationToken)
    {
        lock (sync)
        {
            // A waiter already handed a permit keeps it; only one still in line can leave.
            if (node.List is null)
            {
                return;
            }

            if (timedOut ? node.Value.TrySetResult(false) : node.Value.TrySetCanceled(cancellationToken))
            {
                waiters.Remove(node);
            }
        }
    }
}

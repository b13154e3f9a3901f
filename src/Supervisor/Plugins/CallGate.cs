namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A FIFO async lock with a bounded queue: calls to one plugin take turns in arrival order, and once
/// <c>maxQueued</c> calls wait, new ones are refused instead of piling up.
/// </summary>
internal sealed class CallGate
{
    private readonly Lock sync = new();
    private readonly LinkedList<TaskCompletionSource> waiters = new();
    private readonly int maxQueued;
    private bool held;

    /// <summary>Initializes a new instance of the <see cref="CallGate"/> class.</summary>
    /// <param name="maxQueued">The most callers that may wait while the gate is held.</param>
    public CallGate(int maxQueued) => this.maxQueued = maxQueued;

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

    /// <summary>Enters the gate, waiting in line if it is held.</summary>
    /// <param name="bypassBound">Whether to wait even when the queue is full (for reloads and unloads).</param>
    /// <param name="cancellationToken">Cancels the wait; the caller then leaves the line.</param>
    /// <returns><see langword="true"/> once entered; <see langword="false"/> when the queue was full.</returns>
    public async Task<bool> EnterAsync(bool bypassBound, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (sync)
        {
            if (!held)
            {
                held = true;
                return true;
            }

            if (!bypassBound && waiters.Count >= maxQueued)
            {
                return false;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = waiters.AddLast(waiter);
        }

        using (cancellationToken.Register(() => Abandon(node, cancellationToken)))
        {
            await waiter.Task.ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Leaves the gate, handing it to the longest waiter.</summary>
    public void Release()
    {
        lock (sync)
        {
            while (waiters.First is { } first)
            {
                waiters.RemoveFirst();
                if (first.Value.TrySetResult())
                {
                    // Ownership passes straight to the waiter: the gate stays held.
                    return;
                }
            }

            held = false;
        }
    }

    private void Abandon(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        lock (sync)
        {
            // A waiter already handed the gate keeps it; only one still in line can leave.
            if (node.List is not null && node.Value.TrySetCanceled(cancellationToken))
            {
                waiters.Remove(node);
            }
        }
    }
}

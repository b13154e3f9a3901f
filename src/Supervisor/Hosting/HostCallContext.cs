namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// The plugin call a worker is running, as the supervisor tracks it: host calls are accepted only for this call,
/// share its deadline, and draw on its per-call budgets.
/// </summary>
internal sealed class HostCallContext : IDisposable
{
    private readonly Lock sync = new();
    private volatile CancellationTokenSource deadline;
    private List<CancellationTokenSource>? spent;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="HostCallContext"/> class.</summary>
    /// <param name="callId">The call id (0 while loading).</param>
    /// <param name="budget">The call's wall-clock budget; host work is cancelled when it runs out.</param>
    /// <param name="chain">The plugins on the call path, outermost first, ending with this call's plugin.</param>
    /// <param name="trace">The span the call runs under, parent of its host calls' spans (default when not traced).</param>
    public HostCallContext(long callId, TimeSpan budget, IReadOnlyList<string> chain, System.Diagnostics.ActivityContext trace = default)
    {
        CallId = callId;
        Chain = chain;
        Trace = trace;
        deadline = new CancellationTokenSource(budget);
        Expires = DateTimeOffset.UtcNow + budget;
    }

    /// <summary>Gets the plugins on the call path, outermost first: <c>call_plugin</c> refuses to call any of them again.</summary>
    public IReadOnlyList<string> Chain { get; }

    /// <summary>Gets the span the call runs under, as the supervisor recorded it when it sent the call.</summary>
    public System.Diagnostics.ActivityContext Trace { get; }

    /// <summary>Gets when the call's budget runs out.</summary>
    public DateTimeOffset Expires { get; private set; }

    /// <summary>Gets the call id.</summary>
    public long CallId { get; }

    /// <summary>Gets a token cancelled when the call's deadline passes.</summary>
    public CancellationToken Deadline => deadline.Token;

    /// <summary>The host calls made so far.</summary>
    public long HostCalls;

    /// <summary>
    /// The host calls that may have changed something others can see (a write, a delete, a call to another plugin)
    /// that were allowed to run. A call with none can be run again elsewhere without anyone noticing twice.
    /// </summary>
    public long Effects;

    /// <summary>The bytes returned to the guest so far.</summary>
    public long BytesOut;

    /// <summary>The bytes the guest passed to host functions so far.</summary>
    public long BytesIn;

    /// <summary>The time spent in host functions so far, in microseconds.</summary>
    public long HostMicroseconds;

    /// <summary>The rows scanned so far.</summary>
    public long RowsScanned;

    /// <summary>
    /// Starts the call's budget again, from now: the call was sent after a wait for an instance, which its budget does
    /// not cover (the queue timeout bounds it). Called before the worker can make a host call for it.
    /// </summary>
    /// <param name="budget">The budget from now.</param>
    public void Restart(TimeSpan budget)
    {
        lock (sync)
        {
            if (disposed)
            {
                return;
            }

            Expires = DateTimeOffset.UtcNow + budget;
            deadline.CancelAfter(budget);
            if (deadline.IsCancellationRequested)
            {
                // The first budget ran out while the call waited (a call handed back unstarted can wait longer than it):
                // a cancelled source cannot be reset, so a fresh one takes over; the old one lives until Dispose, as
                // tokens taken from it may still be registered.
                (spent ??= []).Add(deadline);
                deadline = new CancellationTokenSource(budget);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (sync)
        {
            disposed = true;
            deadline.Dispose();
            foreach (var source in spent ?? [])
            {
                source.Dispose();
            }
        }
    }
}

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// The calls of one plugin that wait for an instance, wherever they wait: at the plugin's gate, or (with call coalescing)
/// past it, in a worker's lanes. The gate and every worker's coalescer share it, so that <c>MaxQueuedCalls</c> bounds
/// their sum and the statistics count a call in the lanes as queued, not running.
/// </summary>
/// <remarks>Lock-free: the gate reads it under its own lock and the coalescers under theirs, so it must take none.</remarks>
internal sealed class QueueAccount
{
    private int inLanes;

    /// <summary>Gets the calls waiting in workers' lanes now.</summary>
    public int InLanes => Volatile.Read(ref inLanes);

    /// <summary>Gets or sets the plugin's gate, once it exists (the first worker starts before it).</summary>
    public CallGate? Gate { get; set; }

    /// <summary>Gets every call waiting for an instance now: at the gate and in the lanes.</summary>
    /// <remarks>Takes the gate's lock: never read it while holding that lock.</remarks>
    public int Total => InLanes + (Gate?.Queued ?? 0);

    /// <summary>Records calls entering (positive) or leaving (negative) a worker's lanes.</summary>
    /// <param name="delta">The change.</param>
    public void Lanes(int delta) => Interlocked.Add(ref inLanes, delta);
}

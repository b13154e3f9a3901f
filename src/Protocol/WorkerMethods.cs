namespace SochDb.Isolated.Protocol;

/// <summary>The JSON-RPC method names on the worker channel. Part of the wire contract.</summary>
public static class WorkerMethods
{
    /// <summary><see cref="Messages.HandshakeRequest"/> → <see cref="Messages.HandshakeResponse"/>. Must be the first call.</summary>
    public const string Handshake = "worker.handshake";

    /// <summary><see cref="Messages.LoadRequest"/> → <see cref="Messages.LoadResponse"/>.</summary>
    public const string Load = "worker.load";

    /// <summary><see cref="Messages.InvokeRequest"/> → <see cref="Messages.InvokeResponse"/>.</summary>
    public const string Invoke = "worker.invoke";

    /// <summary><see cref="Messages.InvokeBatchRequest"/> → <see cref="Messages.InvokeBatchResponse"/>.</summary>
    public const string InvokeBatch = "worker.invokeBatch";

    /// <summary>
    /// <see cref="Messages.InvokeManyRequest"/> → <see cref="Messages.InvokeManyResponse"/>: several calls, each with its own
    /// id and limits, run one after another in one instance (call coalescing).
    /// </summary>
    public const string InvokeMany = "worker.invokeMany";

    /// <summary>No parameters → <see cref="Messages.WorkerStatus"/>.</summary>
    public const string Status = "worker.status";

    /// <summary>
    /// <c>worker.prewarm</c> → the microseconds spent: a worker without a plugin runs the load, instantiate, call and
    /// host-call path once on a built-in module, so its first real load does not pay the first-use costs. Sent to warm-pool workers only.
    /// </summary>
    public const string Prewarm = "worker.prewarm";

    /// <summary>No parameters → nothing; the worker exits after answering.</summary>
    public const string Shutdown = "worker.shutdown";

    /// <summary>Worker → supervisor: <see cref="Messages.HostCallRequest"/> → <see cref="Messages.HostCallResponse"/>, sent while a call runs.</summary>
    public const string HostCall = "host.call";
}

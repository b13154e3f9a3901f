namespace SochDb.Isolated.Protocol;

/// <summary>Constants that both ends of the supervisor–worker channel must agree on.</summary>
public static class ProtocolConstants
{
    /// <summary>
    /// The wire protocol version. Bump on any change to a message, a method name or the meaning of a field;
    /// the handshake refuses a worker that speaks another version.
    /// </summary>
    /// <remarks>
    /// Version 2: the MessagePack format writes every message as an array keyed by each field's
    /// <c>[DataMember(Order = n)]</c> (2.6× faster to encode and decode than the field names of version 1, measured on
    /// a 1,000-row batch answer; see docs/benchmarks.md); the JSON formats keep the names of <c>[JsonPropertyName]</c>.
    /// A new field takes the next free number and is never renumbered.
    /// Version 3: batches of numeric rows travel packed (<see cref="Messages.PackedRows"/> and
    /// <see cref="Messages.PackedRowResults"/>: one buffer of raw bits and one array per figure instead of an object per
    /// value and per row), and <c>worker.invokeMany</c> carries several independent calls in one message (call
    /// coalescing).
    /// Version 4: each call of a <c>worker.invokeMany</c> has its whole timeout from its own start, and the worker
    /// leaves the calls it could no longer start within their timeouts to the supervisor
    /// (<see cref="Messages.InvokeManyResponse.NotStarted"/>), which sends them again.
    /// Version 5: the optional direct call lane (<see cref="Direct.DirectFrame"/>, <see cref="WorkerBootstrap.LanePath"/>):
    /// a second socket that carries single calls and their host calls in binary frames, beside the JSON-RPC channel.
    /// </remarks>
    public const int Version = 5;

    /// <summary>The wasm import module that holds the host functions.</summary>
    public const string HostModule = "sochdb";

    /// <summary>The guest export the worker calls to allocate argument buffers: <c>soch_alloc(len: i32) -&gt; i32</c>.</summary>
    public const string AllocExport = "soch_alloc";

    /// <summary>The optional guest export the worker calls to release returned buffers: <c>soch_free(ptr: i32, len: i32)</c>.</summary>
    public const string FreeExport = "soch_free";

    /// <summary>The optional guest export run once after each instantiation: <c>soch_init() -&gt; i32</c>, non-zero fails.</summary>
    public const string InitExport = "soch_init";

    /// <summary>
    /// The optional health-check export, <c>() -> i32</c>: a reload calls it on the new generation before routing calls
    /// there; anything but 0 (or a trap) rolls the reload back.
    /// </summary>
    public const string HealthExport = "soch_health";

    /// <summary>The guest export that holds linear memory.</summary>
    public const string MemoryExport = "memory";

    /// <summary>The environment variable the supervisor sets on a worker so it can tell it was started as one.</summary>
    public const string WorkerMarkerVariable = "SOCHDB_ISOLATED_WORKER";
}

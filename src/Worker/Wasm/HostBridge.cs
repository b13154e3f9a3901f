using System.Buffers.Binary;
using System.Diagnostics;
using SochDb.Isolated.Protocol;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Logging;
using Wasmtime;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>
/// The host functions as the guest sees them. Each one reads its arguments out of guest memory, forwards the call to
/// the supervisor (the only authority: it checks capabilities, executes, audits), and copies any result back into
/// guest memory through <c>soch_alloc</c>. The worker decides nothing but argument validity.
/// </summary>
/// <remarks>
/// One bridge per instance slot: the current call id, deadline and counters are the slot's, and a slot runs one call
/// at a time on one thread, so they need no locking; slots running in parallel share only the thread-safe send delegate.
/// No exception crosses into Wasmtime: every failure becomes a negative status. Calls block the wasm thread while the
/// supervisor answers; the epoch ticker keeps running, so a call whose deadline passes during a host call traps with
/// <c>Timeout</c> as soon as the guest resumes.
/// </remarks>
internal sealed class HostBridge
{
    private readonly Func<HostCallRequest, TimeSpan, HostCallResponse> send;
    private readonly ILogger logger;
    private long callId;
    private string? traceParent;
    private long deadline;

    /// <summary>Initializes a new instance of the <see cref="HostBridge"/> class.</summary>
    /// <param name="send">Sends a host call to the supervisor and waits for the answer within the given budget.</param>
    /// <param name="logger">Where failures on this side of the boundary are logged.</param>
    public HostBridge(Func<HostCallRequest, TimeSpan, HostCallResponse> send, ILogger logger)
    {
        this.send = send;
        this.logger = logger;
    }

    /// <summary>
    /// Gets a value indicating whether the current call's deadline passed during one of its host calls. The guest may
    /// resume and even return normally (epoch checks only run at loop heads and calls), so the call must still be
    /// reported as a timeout.
    /// </summary>
    public bool DeadlinePassed { get; private set; }

    /// <summary>Gets the host calls made through this bridge (its instance slot) since it was created.</summary>
    public long HostCalls { get; private set; }

    /// <summary>Gets the host calls that failed (rejected arguments, errors, denials, limits, timeouts).</summary>
    public long HostCallErrors { get; private set; }

    /// <summary>Marks the start of a plugin call: host calls until <see cref="End"/> belong to it.</summary>
    /// <param name="id">The supervisor's call id (0 while loading).</param>
    /// <param name="budget">The call's wall-clock budget.</param>
    /// <param name="trace">The call's W3C <c>traceparent</c>, echoed in its host calls so they join its trace.</param>
    public void Begin(long id, TimeSpan budget, string? trace = null) => Begin(id, budget, trace, Stopwatch.GetTimestamp());

    /// <summary>Marks the start of a plugin call that started at <paramref name="started"/>.</summary>
    /// <param name="id">The supervisor's call id.</param>
    /// <param name="budget">The call's wall-clock budget, from <paramref name="started"/>.</param>
    /// <param name="trace">The call's W3C <c>traceparent</c>.</param>
    /// <param name="started">The call's start, a <see cref="Stopwatch"/> timestamp.</param>
    public void Begin(long id, TimeSpan budget, string? trace, long started)
    {
        callId = id;
        traceParent = trace;
        DeadlinePassed = false;
        deadline = started + (long)(budget.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Marks the end of the plugin call.</summary>
    public void End()
    {
        callId = -1;
        traceParent = null;
        deadline = 0;
    }

    /// <summary>Defines every host function of <see cref="HostAbi"/> in a linker.</summary>
    /// <param name="linker">The linker.</param>
    public void Define(Linker linker)
    {
        const string M = ProtocolConstants.HostModule;
        linker.DefineFunction(M, "log", (Caller c, int level, int ptr, int len) =>
        {
            Forward(c, new HostCallRequest { Function = "log", Count = level }, (ptr, len, Field.Data));
        });
        linker.DefineFunction(M, "read", (Caller c, int tPtr, int tLen, long rowId)
            => Forward(c, new HostCallRequest { Function = "read", RowId = rowId }, (tPtr, tLen, Field.Target)));
        linker.DefineFunction(M, "write", (Caller c, int tPtr, int tLen, long rowId, int dPtr, int dLen)
            => (int)Forward(c, new HostCallRequest { Function = "write", RowId = rowId }, (tPtr, tLen, Field.Target), (dPtr, dLen, Field.Data)));
        linker.DefineFunction(M, "delete", (Caller c, int tPtr, int tLen, long rowId)
            => (int)Forward(c, new HostCallRequest { Function = "delete", RowId = rowId }, (tPtr, tLen, Field.Target)));
        linker.DefineFunction(M, "scan", (Caller c, int tPtr, int tLen, long startRow, int limit)
            => Forward(c, new HostCallRequest { Function = "scan", RowId = startRow, Count = limit }, (tPtr, tLen, Field.Target)));
        linker.DefineFunction(M, "vector_search", (Caller c, int iPtr, int iLen, int vPtr, int dims, int topK)
            => Forward(c, new HostCallRequest { Function = "vector_search", Count = topK }, (iPtr, iLen, Field.Target), (vPtr, dims, Field.Vector)));
        linker.DefineFunction(M, "index_lookup", (Caller c, int iPtr, int iLen, int kPtr, int kLen, int limit)
            => Forward(c, new HostCallRequest { Function = "index_lookup", Count = limit }, (iPtr, iLen, Field.Target), (kPtr, kLen, Field.Data)));
        linker.DefineFunction(M, "emit_metric", (Caller c, int kind, int nPtr, int nLen, double value)
            => (int)Forward(c, new HostCallRequest { Function = "emit_metric", Count = kind, Value = value }, (nPtr, nLen, Field.Name)));
        linker.DefineFunction(M, "get_config", (Caller c, int kPtr, int kLen)
            => Forward(c, new HostCallRequest { Function = "get_config" }, (kPtr, kLen, Field.Target)));
        linker.DefineFunction(M, "call_plugin", (Caller c, int pPtr, int pLen, int fPtr, int fLen, int iPtr, int iLen)
            => Forward(c, new HostCallRequest { Function = "call_plugin" }, (pPtr, pLen, Field.Target), (fPtr, fLen, Field.Name), (iPtr, iLen, Field.Data)));
    }

    private long Forward(Caller caller, HostCallRequest request, params (int Ptr, int Len, Field Field)[] buffers)
    {
        try
        {
            return ForwardCore(caller, request, buffers);
        }
        catch (TrapException ex) when (ex.Type == TrapCode.Interrupt)
        {
            // soch_alloc ran into the epoch deadline while placing a result.
            HostCallErrors++;
            DeadlinePassed = true;
            return HostStatus.Timeout;
        }
        catch (Exception ex)
        {
            // Whatever went wrong (a trap in soch_alloc, a disposed channel) stays on this side of the boundary.
            HostCallErrors++;
            WorkerLog.HostCallRejected(logger, request.Function, $"{ex.GetType().Name}: {ex.Message}");
            return HostStatus.HostError;
        }
    }

    private long ForwardCore(Caller caller, HostCallRequest request, (int Ptr, int Len, Field Field)[] buffers)
    {
        HostCalls++;
        request.CallId = callId;
        request.TraceParent = traceParent;
        var memory = caller.GetMemory(ProtocolConstants.MemoryExport);
        foreach (var (ptr, len, field) in buffers)
        {
            var byteLength = field == Field.Vector ? (long)len * sizeof(float) : len;
            if (memory is null || ptr < 0 || len < 0 || ptr + byteLength > memory.GetLength())
            {
                // The supervisor still records the attempt: every host call leaves one audit record.
                request.WorkerStatus = HostStatus.InvalidArguments;
                break;
            }

            var bytes = memory.GetSpan(ptr, (int)byteLength).ToArray();
            switch (field)
            {
                case Field.Target:
                    request.Target = DecodeUtf8(bytes, request);
                    break;
                case Field.Name:
                    request.Name = DecodeUtf8(bytes, request);
                    break;
                case Field.Vector:
                    var vector = new float[len];
                    for (var i = 0; i < len; i++)
                    {
                        vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
                    }

                    request.Vector = vector;
                    break;
                default:
                    request.Data = bytes;
                    break;
            }
        }

        var remaining = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
        if (request.WorkerStatus == 0 && remaining <= TimeSpan.Zero)
        {
            request.WorkerStatus = HostStatus.Timeout;
        }

        var response = send(request, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(100));
        if (response.Status == HostStatus.Timeout || Stopwatch.GetTimestamp() >= deadline)
        {
            DeadlinePassed = true;
        }

        if (response.Status < 0)
        {
            HostCallErrors++;
            return response.Status;
        }

        if (response.Data is not { } data)
        {
            return response.Status;
        }

        return CopyIn(caller, memory, data);
    }

    private static string? DecodeUtf8(byte[] bytes, HostCallRequest request)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            request.WorkerStatus = HostStatus.InvalidArguments;
            return null;
        }
    }

    private long CopyIn(Caller caller, Memory? memory, byte[] data)
    {
        var alloc = caller.GetFunction(ProtocolConstants.AllocExport);
        if (alloc is null || memory is null)
        {
            HostCallErrors++;
            return HostStatus.InvalidArguments;
        }

        var ptr = Convert.ToInt32(alloc.Invoke(data.Length), System.Globalization.CultureInfo.InvariantCulture);
        if (ptr < 0 || (long)ptr + data.Length > memory.GetLength())
        {
            HostCallErrors++;
            return HostStatus.InvalidArguments;
        }

        data.CopyTo(memory.GetSpan(ptr, data.Length));
        return ((long)ptr << 32) | (uint)data.Length;
    }

    /// <summary>Which request field a guest buffer fills.</summary>
    private enum Field
    {
        Target,
        Name,
        Data,
        Vector,
    }
}

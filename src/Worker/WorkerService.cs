using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Logging;
using SochDb.Isolated.Worker.Wasm;
using StreamJsonRpc;
using Wasmtime;

namespace SochDb.Isolated.Worker;

/// <summary>
/// The worker's JSON-RPC target: handshake, load, invoke, status and shutdown for its one plugin.
/// </summary>
/// <remarks>
/// The lock guards only the worker's state (engine, plugin), never a call: each call borrows an instance of its own
/// from the <see cref="PluginModule"/> (a Wasmtime store is single-threaded), so calls on different instances run in
/// parallel, up to the load's <see cref="LoadRequest.MaxInstances"/>.
/// </remarks>
internal sealed class WorkerService : IDisposable
{
    /// <summary>The prewarm module: memory, <c>soch_init</c>, an export with a host call, like a small real plugin.</summary>
    private const string PrewarmModule = """
        (module
          (import "sochdb" "log" (func $log (param i32 i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "prewarm")
          (func (export "soch_init") (result i32) i32.const 0)
          (func (export "add") (param i32 i32) (result i32)
            (call $log (i32.const 0) (i32.const 0) (i32.const 7))
            (i32.add (local.get 0) (local.get 1))))
        """;

    private readonly string secret;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly TaskCompletionSource shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private JsonRpc? channel;
    private Engine? engine;
    private EpochTicker? ticker;
    private PluginModule? plugin;

    /// <summary>Initializes a new instance of the <see cref="WorkerService"/> class.</summary>
    /// <param name="secret">The secret from the bootstrap line, returned in the handshake.</param>
    /// <param name="logger">The worker's logger.</param>
    public WorkerService(string secret, ILogger logger)
    {
        this.secret = secret;
        this.logger = logger;
    }

    /// <summary>Gives the service the channel its host calls go back over; call before listening starts.</summary>
    /// <param name="rpc">The connection to the supervisor.</param>
    public void AttachChannel(JsonRpc rpc) => channel = rpc;

    /// <summary>Gets a task that completes when the supervisor asks the worker to stop.</summary>
    public Task ShutdownRequested => shutdownRequested.Task;

    /// <summary>Answers the handshake and builds the engine the supervisor described.</summary>
    /// <param name="request">The supervisor's expectations.</param>
    /// <returns>What this worker speaks and runs.</returns>
    [JsonRpcMethod(WorkerMethods.Handshake)]
    public HandshakeResponse Handshake(HandshakeRequest request)
    {
        lock (gate)
        {
            if (engine is not null)
            {
                throw new LocalRpcException("the handshake was already done") { ErrorCode = (int)ErrorKind.ProtocolError };
            }

            if (request.ProtocolVersion == ProtocolConstants.Version)
            {
                engine = EngineFactory.Create(request.Engine);
                ticker = new EpochTicker(engine, request.Engine.EpochTickMs);
                WorkerLog.HandshakeCompleted(logger, request.SupervisorPid, request.ProtocolVersion, EngineFactory.WasmtimeVersion);
            }

            return new HandshakeResponse
            {
                ProtocolVersion = ProtocolConstants.Version,
                WasmtimeVersion = EngineFactory.WasmtimeVersion,
                EngineSettingsHash = request.Engine.ComputeHash(),
                Secret = secret,
                WorkerPid = Environment.ProcessId,

                // Read now, after every measure was applied, so the supervisor checks what is in force, not what was asked.
                Hardening = Hardening.HardeningReporter.Read(),
            };
        }
    }

    /// <summary>Loads the plugin's module.</summary>
    /// <param name="request">The precompiled module and its limits.</param>
    /// <returns>The outcome.</returns>
    [JsonRpcMethod(WorkerMethods.Load)]
    public LoadResponse Load(LoadRequest request)
    {
        lock (gate)
        {
            RequireHandshake();
            if (plugin is not null)
            {
                throw new LocalRpcException("a worker runs exactly one plugin for its whole life") { ErrorCode = (int)ErrorKind.ProtocolError };
            }

            ReserveCallThreads(request.MaxInstances);
            var response = PluginModule.Load(engine!, ticker!, SendHostCall, logger, request, out var loaded);
            plugin = loaded;
            if (loaded is not null)
            {
                WorkerLog.PluginLoaded(logger, request.PluginId, response.MemoryBytes);
            }

            return response;
        }
    }

    /// <summary>Runs one call on a pool thread, so the channel's reader stays free to deliver host-call answers.</summary>
    /// <param name="request">The call.</param>
    /// <returns>The outcome.</returns>
    [JsonRpcMethod(WorkerMethods.Invoke)]
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request) => Task.Run(() => Invoke(request));

    /// <summary>Runs one call on the calling thread, on an instance of its own.</summary>
    /// <param name="request">The call.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="LocalRpcException">No plugin is loaded, or every instance already runs a call.</exception>
    public InvokeResponse Invoke(InvokeRequest request)
    {
        var loaded = RequirePlugin();
        var instance = Rent(loaded, request.CallId);
        try
        {
            return instance.Invoke(request);
        }
        finally
        {
            loaded.Return(instance);
        }
    }

    /// <summary>Runs coalesced calls on a pool thread, so the channel's reader stays free to deliver host-call answers.</summary>
    /// <param name="request">The calls.</param>
    /// <returns>One outcome per call.</returns>
    [JsonRpcMethod(WorkerMethods.InvokeMany)]
    public Task<InvokeManyResponse> InvokeManyAsync(InvokeManyRequest request) => Task.Run(() => InvokeMany(request));

    /// <summary>
    /// Runs coalesced calls on the calling thread, one after another in one instance: each is a call of its own (its id,
    /// fuel, host-call scope and whole timeout from its own start), and a trapping call replaces the instance before the
    /// next, as a single call does. A call is started only while the message has run for less than its timeout, so the
    /// message ends within twice its longest timeout (the supervisor's deadline for it); the calls from the first one
    /// that cannot start are left to the supervisor, which sends them again.
    /// </summary>
    /// <param name="request">The calls.</param>
    /// <returns>One outcome per call that ran, in the request's order, and how many did not start.</returns>
    /// <exception cref="LocalRpcException">No plugin is loaded, or every instance already runs a call.</exception>
    public InvokeManyResponse InvokeMany(InvokeManyRequest request)
    {
        var loaded = RequirePlugin();
        var calls = request.Calls;
        var instance = Rent(loaded, calls.Length > 0 ? calls[0].CallId : 0);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var results = new InvokeResponse[calls.Length];
            var fuelLeft = request.FuelBudget;
            var ran = 0;
            for (; ran < calls.Length; ran++)
            {
                var call = calls[ran];
                if (ran > 0 && Stopwatch.GetElapsedTime(started).TotalMilliseconds >= call.TimeoutMs)
                {
                    // Its whole timeout from now could outlast the message's deadline: it goes back, untouched.
                    break;
                }

                if (fuelLeft <= 0)
                {
                    results[ran] = new InvokeResponse { Error = new WorkerError { Kind = ErrorKind.FuelExhausted, Message = "the plugin's lifetime fuel budget is spent" } };
                    continue;
                }

                call.Fuel = Math.Min(call.Fuel, fuelLeft);
                results[ran] = InvokeOne(instance, call);
                fuelLeft -= Math.Max(0, results[ran].FuelConsumed);
            }

            return new InvokeManyResponse { Results = ran == calls.Length ? results : results[..ran], NotStarted = calls.Length - ran };
        }
        finally
        {
            loaded.Return(instance);
        }
    }

    /// <summary>Runs a batch on a pool thread, so the channel's reader stays free to deliver host-call answers.</summary>
    /// <param name="request">The batch.</param>
    /// <returns>One outcome per row.</returns>
    [JsonRpcMethod(WorkerMethods.InvokeBatch)]
    public Task<InvokeBatchResponse> InvokeBatchAsync(InvokeBatchRequest request) => Task.Run(() => InvokeBatch(request));

    /// <summary>
    /// Runs a batch on the calling thread: each row is a call of its own, in order, in the same instance, with its own
    /// fuel limit and epoch deadline, and a trapping row replaces the instance before the next row, as a single call does.
    /// </summary>
    /// <param name="request">The batch.</param>
    /// <returns>One outcome per row, in the request's order.</returns>
    /// <exception cref="LocalRpcException">No plugin is loaded, or every instance already runs a call.</exception>
    public InvokeBatchResponse InvokeBatch(InvokeBatchRequest request)
    {
        var loaded = RequirePlugin();
        if (request.Packed is { } packed)
        {
            CheckPacked(request, packed);
        }

        var instance = Rent(loaded, request.CallId);
        try
        {
            var budget = new BatchBudget(request.FuelBudget, request.BatchTimeoutMs);
            if (request.Packed is { } rows)
            {
                if (instance.PackableResults(request.Function) is { } resultTypes)
                {
                    return InvokePacked(instance, request, rows, resultTypes, budget);
                }

                // The export returns buffers (or is missing): its rows run one by one, and answer one by one.
                request.Rows = Unpack(rows);
            }

            return InvokeRows(instance, request, budget);
        }
        finally
        {
            loaded.Return(instance);
        }
    }

    /// <summary>
    /// Runs the load, instantiate, call and host-call path once on a built-in module and throws it away, so a warm-pool
    /// worker's first real load and call do not pay first-use costs (JIT of this code, Wasmtime's bindings, the
    /// serializers) inside a plugin's budget. The worker stays without a plugin.
    /// </summary>
    /// <returns>The microseconds spent.</returns>
    [JsonRpcMethod(WorkerMethods.Prewarm)]
    public long Prewarm()
    {
        lock (gate)
        {
            RequireHandshake();
            if (plugin is not null)
            {
                throw new LocalRpcException("prewarm is for a worker without a plugin") { ErrorCode = (int)ErrorKind.ProtocolError };
            }

            var started = Stopwatch.GetTimestamp();
            byte[] artifact;
            using (var module = Module.FromText(engine!, "prewarm", PrewarmModule))
            {
                artifact = module.Serialize();
            }

            var request = new LoadRequest
            {
                PluginId = "prewarm",
                Artifact = artifact,
                MemoryLimitBytes = 1024 * 1024,
                InitFuel = 1_000_000,
                InitTimeoutMs = 1_000,
                MaxInstances = 1,
                Signatures = [new FunctionSignatureDto { Function = "add", Params = [PluginValueType.I32, PluginValueType.I32], Returns = [PluginValueType.I32] }],
            };

            // Host calls go nowhere: the supervisor has no call open for them, and nothing here needs an answer.
            var response = PluginModule.Load(engine!, ticker!, static (_, _) => new HostCallResponse { Status = HostStatus.Ok }, logger, request, out var loaded);
            if (loaded is null)
            {
                throw new LocalRpcException($"prewarm failed: {response.Error?.Message}") { ErrorCode = (int)ErrorKind.HostError };
            }

            using (loaded)
            {
                var instance = loaded.TryRent()!;
                try
                {
                    var result = instance.Invoke(new InvokeRequest
                    {
                        CallId = 1,
                        Function = "add",
                        Args = [new WireValue { Type = PluginValueType.I32, Bits = 1 }, new WireValue { Type = PluginValueType.I32, Bits = 2 }],
                        Fuel = 1_000_000,
                        TimeoutMs = 1_000,
                    });
                    if (result.Error is { } error)
                    {
                        throw new LocalRpcException($"prewarm call failed: {error.Message}") { ErrorCode = (int)ErrorKind.HostError };
                    }
                }
                finally
                {
                    loaded.Return(instance);
                }
            }

            return (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
    }

    /// <summary>Reports the worker's state, summed over its instances (each as of the end of its last call).</summary>
    /// <returns>The snapshot.</returns>
    [JsonRpcMethod(WorkerMethods.Status)]
    public WorkerStatus Status()
    {
        lock (gate)
        {
            using var self = Process.GetCurrentProcess();
            return new WorkerStatus
            {
                Loaded = plugin is not null,
                MemoryBytes = plugin?.MemoryBytes ?? 0,
                PeakMemoryBytes = plugin?.PeakMemoryBytes ?? 0,
                Instantiations = plugin?.Instantiations ?? 0,
                Instances = plugin?.Instances ?? 0,
                WorkingSetBytes = self.WorkingSet64,
            };
        }
    }

    /// <summary>Acknowledges a stop request; the worker exits once the supervisor closes the channel.</summary>
    [JsonRpcMethod(WorkerMethods.Shutdown)]
    public void Shutdown() => shutdownRequested.TrySetResult();

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            var idle = plugin?.Close() ?? true;
            plugin = null;
            if (!idle)
            {
                // A call still runs on a pool thread and its store needs the engine and ticker; the process is
                // exiting, so they are left to it rather than freed under that call.
                return;
            }

            ticker?.Dispose();
            ticker = null;
            engine?.Dispose();
            engine = null;
        }
    }

    /// <summary>
    /// Sends a host call and blocks the wasm thread until the supervisor answers or the call's budget runs out. The
    /// one deliberate synchronous wait in the worker: a Wasmtime callback cannot await, and the wasm thread is a pool
    /// thread of its own (see <see cref="InvokeAsync"/>), so the channel's reader is never the one blocked.
    /// </summary>
    /// <param name="request">The host call.</param>
    /// <param name="budget">The time left in the plugin call.</param>
    /// <returns>The supervisor's answer, or a timeout or host-error status.</returns>
    private HostCallResponse SendHostCall(HostCallRequest request, TimeSpan budget)
    {
        if (Direct.DirectLaneServer.Current is { } lane)
        {
            // The call came over the direct lane and runs on its thread: its host calls go back the same way.
            return lane.SendHostCall(request, budget);
        }

        if (channel is null)
        {
            return new HostCallResponse { Status = HostStatus.HostError };
        }

        using var cts = new CancellationTokenSource(budget);
        try
        {
            return channel.InvokeWithCancellationAsync<HostCallResponse>(WorkerMethods.HostCall, [request], cts.Token).GetAwaiter().GetResult()
                ?? new HostCallResponse { Status = HostStatus.HostError };
        }
        catch (OperationCanceledException)
        {
            return new HostCallResponse { Status = HostStatus.Timeout };
        }
        catch (Exception ex) when (ex is ConnectionLostException or RemoteRpcException or ObjectDisposedException or IOException)
        {
            return new HostCallResponse { Status = HostStatus.HostError };
        }
    }

    private static void ReserveCallThreads(int maxInstances)
    {
        // Each call in flight holds a pool thread, blocked for the length of its host calls (see SendHostCall). Without
        // that many threads to spare, the channel's reader that delivers the answers waits for the pool's thread
        // injection (hundreds of milliseconds per thread) once the calls outnumber the cores.
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Environment.ProcessorCount + maxInstances;
        if (maxInstances is >= 1 and <= PluginModule.MaxInstancesLimit && workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
    }

    private PluginModule RequirePlugin()
    {
        lock (gate)
        {
            RequireHandshake();
            return plugin ?? throw new LocalRpcException("no plugin is loaded in this worker") { ErrorCode = (int)ErrorKind.ProtocolError };
        }
    }

    private PluginInstance Rent(PluginModule loaded, long callId)
    {
        if (loaded.TryRent() is { } instance)
        {
            return instance;
        }

        WorkerLog.InstanceLimitReached(logger, callId, loaded.MaxInstances);
        throw new LocalRpcException($"all {loaded.MaxInstances} instance(s) of the plugin are running calls; the supervisor must send at most max instances calls at once")
        {
            ErrorCode = (int)ErrorKind.ProtocolError,
        };
    }

    private void RequireHandshake()
    {
        if (engine is null)
        {
            throw new LocalRpcException("the handshake must come first") { ErrorCode = (int)ErrorKind.ProtocolError };
        }
    }

    /// <summary>
    /// Runs one of several calls in a message: whatever goes wrong in it stays its own error (and replaces the instance),
    /// so the message's other calls, some already run, still get their answers.
    /// </summary>
    private InvokeResponse InvokeOne(PluginInstance instance, InvokeRequest call)
    {
        try
        {
            return instance.Invoke(call);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            WorkerLog.CallTrapped(logger, call.CallId, call.Function, nameof(ErrorKind.HostError), ex.Message);
            instance.Discard();
            return new InvokeResponse
            {
                Error = new WorkerError { Kind = ErrorKind.HostError, Message = $"the worker failed running the call: {ex.GetType().Name}: {ex.Message}" },
                Reinstantiated = true,
            };
        }
    }

    private static void CheckPacked(InvokeBatchRequest request, PackedRows packed)
    {
        var problem = request.Rows.Length > 0 ? "a batch carries both packed and unpacked rows"
            : packed.Types.Any(t => !PackedValues.IsPackable(t)) ? "packed rows hold a type that is not numeric"
            : !PackedValues.FitsExactly(packed.Values.LongLength, packed.Count, packed.Types.Length) ? $"packed rows: {packed.Values.Length} bytes is not {packed.Count} rows of {packed.Types.Length} values"
            : null;
        if (problem is not null)
        {
            throw new LocalRpcException(problem) { ErrorCode = (int)ErrorKind.ProtocolError };
        }
    }

    private static WireValue[][] Unpack(PackedRows packed)
    {
        var rows = new WireValue[packed.Count][];
        var columns = packed.Types.Length;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i] = new WireValue[columns];
            for (var c = 0; c < columns; c++)
            {
                row[c] = new WireValue { Type = packed.Types[c], Bits = PackedValues.Read(packed.Values, (i * columns) + c) };
            }
        }

        return rows;
    }

    private static InvokeBatchResponse InvokeRows(PluginInstance instance, InvokeBatchRequest request, BatchBudget budget)
    {
        var rows = new InvokeResponse[request.Rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var skipped = budget.StartRow(request.Fuel, request.TimeoutMs, Stopwatch.GetTimestamp(), out var fuel, out var timeoutMs);
            if (skipped is not null)
            {
                rows[i] = new InvokeResponse { Error = skipped };
                continue;
            }

            var row = instance.Invoke(new InvokeRequest
            {
                CallId = request.CallId,
                Function = request.Function,
                Args = request.Rows[i] ?? [],
                Fuel = fuel,
                TimeoutMs = timeoutMs,
                TraceParent = request.TraceParent,
            });
            budget.Consumed(row.FuelConsumed);
            rows[i] = row;
        }

        return new InvokeBatchResponse
        {
            Rows = rows,
            FuelConsumed = budget.FuelConsumed,
            MemoryBytes = instance.MemoryBytes,
            PeakMemoryBytes = instance.PeakMemoryBytes,
        };
    }

    /// <summary>Runs packed rows through typed calls and answers in columns; only failed rows get an object each.</summary>
    private static InvokeBatchResponse InvokePacked(PluginInstance instance, InvokeBatchRequest request, PackedRows packed, PluginValueType[] resultTypes, BatchBudget budget)
    {
        var count = packed.Count;
        var columns = packed.Types.Length;
        var width = resultTypes.Length;
        var results = new PackedRowResults
        {
            Types = resultTypes,
            Values = new byte[(long)count * width * PackedValues.ValueSize],
            FuelConsumed = new long[count],
            DurationUs = new long[count],
            HostCalls = new long[count],
            PeakMemoryBytes = new long[count],
        };
        var failedRows = new List<int>();
        var failures = new List<InvokeResponse>();
        var args = new long[columns];
        var values = new long[width];
        for (var i = 0; i < count; i++)
        {
            var now = Stopwatch.GetTimestamp();
            var skipped = budget.StartRow(request.Fuel, request.TimeoutMs, now, out var fuel, out var timeoutMs);
            if (skipped is not null)
            {
                failedRows.Add(i);
                failures.Add(new InvokeResponse { Error = skipped });
                continue;
            }

            for (var c = 0; c < columns; c++)
            {
                args[c] = PackedValues.Read(packed.Values, (i * columns) + c);
            }

            var outcome = instance.InvokeRow(new PackedRowCall(request.CallId, request.Function, packed.Types, fuel, timeoutMs, request.TraceParent, now), args, values);
            budget.Consumed(outcome.FuelConsumed);
            if (outcome.Failure is { } failure)
            {
                failedRows.Add(i);
                failures.Add(failure);
                continue;
            }

            for (var r = 0; r < width; r++)
            {
                PackedValues.Write(results.Values, (i * width) + r, values[r]);
            }

            results.FuelConsumed[i] = outcome.FuelConsumed;
            results.DurationUs[i] = outcome.DurationUs;
            results.HostCalls[i] = outcome.HostCalls;
            results.PeakMemoryBytes[i] = outcome.PeakMemoryBytes;
        }

        results.FailedRows = [.. failedRows];
        return new InvokeBatchResponse
        {
            Rows = [.. failures],
            Packed = results,
            FuelConsumed = budget.FuelConsumed,
            MemoryBytes = instance.MemoryBytes,
            PeakMemoryBytes = instance.PeakMemoryBytes,
        };
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Logging;
using Wasmtime;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>
/// One instance slot of a plugin: runs calls with fuel, an epoch deadline and a memory limit, moves
/// <c>bytes</c>/<c>string</c> values through guest memory, and replaces its instance after any trap.
/// </summary>
/// <remarks>
/// Not thread-safe: a Wasmtime store is used by one thread at a time, so a slot runs one call at a time (the
/// <see cref="PluginModule"/> lends it to one caller). The linker, store and host bridge are owned here; the module
/// belongs to the <see cref="PluginModule"/>, the engine and ticker to the worker.
/// </remarks>
internal sealed class PluginInstance : IDisposable
{
    private const long PageSize = 65536;

    private readonly Engine engine;
    private readonly EpochTicker ticker;
    private readonly HostBridge bridge;
    private readonly ILogger logger;
    private readonly Module module;
    private readonly Linker linker;
    private readonly long memoryLimitBytes;
    private readonly Dictionary<string, FunctionSignatureDto> signatures;

    // Exports of the current instance, looked up once: a lookup builds a Function (its parameter and result kinds
    // included) through several native calls, which a batch would otherwise pay on every row. Cleared with the instance.
    private readonly Dictionary<string, Function> functions = new(StringComparer.Ordinal);

    // Packed-row bindings of the current instance (typed call, argument check), per export; cleared with the instance.
    private readonly Dictionary<string, RowBinding> rowBindings = new(StringComparer.Ordinal);
    private readonly long initFuel;
    private readonly long initTimeoutMs;
    private Store? store;
    private Instance? instance;
    private Memory? memory;
    private Function? alloc;
    private Function? free;
    private long instantiations;
    private long peakMemoryBytes;
    private long reportedMemoryBytes;

    /// <summary>Initializes a new instance of the <see cref="PluginInstance"/> class, not yet instantiated.</summary>
    /// <param name="engine">The engine the module was compiled for.</param>
    /// <param name="ticker">The epoch ticker of <paramref name="engine"/>.</param>
    /// <param name="bridge">This slot's own host functions and call state.</param>
    /// <param name="logger">The worker's logger.</param>
    /// <param name="module">The module, borrowed from its <see cref="PluginModule"/>.</param>
    /// <param name="request">The load's limits and signatures.</param>
    public PluginInstance(Engine engine, EpochTicker ticker, HostBridge bridge, ILogger logger, Module module, LoadRequest request)
    {
        this.engine = engine;
        this.ticker = ticker;
        this.bridge = bridge;
        this.logger = logger;
        this.module = module;
        memoryLimitBytes = request.MemoryLimitBytes;
        initFuel = request.InitFuel;
        initTimeoutMs = request.InitTimeoutMs;
        signatures = request.Signatures.ToDictionary(s => s.Function, StringComparer.Ordinal);
        linker = new Linker(engine);
        bridge.Define(linker);
    }

    /// <summary>Gets the largest linear memory seen, in bytes; safe to read from any thread.</summary>
    public long PeakMemoryBytes => Volatile.Read(ref peakMemoryBytes);

    /// <summary>Gets how many times the module was instantiated in this slot; safe to read from any thread.</summary>
    public long Instantiations => Volatile.Read(ref instantiations);

    /// <summary>
    /// Gets the linear memory in bytes as of the end of the last call or instantiation; safe to read from any thread,
    /// unlike <see cref="MemoryBytes"/>, which asks the store and so belongs to the thread running the slot.
    /// </summary>
    public long ReportedMemoryBytes => Volatile.Read(ref reportedMemoryBytes);

    /// <summary>Gets the current linear memory in bytes (0 without an instance or a memory export).</summary>
    public long MemoryBytes => memory?.GetLength() ?? 0;

    /// <summary>Instantiates the slot for the load, running <c>soch_init</c> if exported; its host calls belong to call 0.</summary>
    /// <param name="initFuelConsumed">The fuel <c>soch_init</c> consumed.</param>
    /// <returns>The error that stops the load, or <see langword="null"/>.</returns>
    public WorkerError? Start(out long initFuelConsumed)
    {
        bridge.Begin(0, TimeSpan.FromMilliseconds(initTimeoutMs));
        try
        {
            return Instantiate(out initFuelConsumed);
        }
        finally
        {
            bridge.End();
        }
    }

    /// <summary>Calls an export.</summary>
    /// <param name="request">The call.</param>
    /// <returns>The results or a typed error, with what the call consumed.</returns>
    public InvokeResponse Invoke(InvokeRequest request)
    {
        // Host calls made while re-instantiating (soch_init) and while calling belong to this call.
        bridge.Begin(request.CallId, TimeSpan.FromMilliseconds(request.TimeoutMs), request.TraceParent);
        try
        {
            return InvokeCore(request);
        }
        finally
        {
            bridge.End();
        }
    }

    private InvokeResponse InvokeCore(InvokeRequest request)
    {
        var reinstantiated = false;
        if (instance is null)
        {
            // A slot's very first instantiation (a lazily added slot) replaces nothing.
            var replacing = Instantiations > 0;
            var error = Instantiate(out _);
            if (error is not null)
            {
                return new InvokeResponse { Error = error, Reinstantiated = replacing };
            }

            reinstantiated = replacing;
        }

        var response = Call(request);
        response.Reinstantiated |= reinstantiated;
        return response;
    }

    /// <summary>Throws the instance away after a failure its state may not survive; the next call gets a fresh one.</summary>
    public void Discard() => DropInstance();

    /// <inheritdoc/>
    public void Dispose()
    {
        DropInstance();
        linker.Dispose();
    }

    /// <summary>Shortens a Wasmtime message to its cause, without the backtrace.</summary>
    /// <param name="message">The exception message.</param>
    /// <returns>One line.</returns>
    internal static string FirstLine(string message)
    {
        // Wasmtime messages carry a backtrace after the first line, and the cause after "Caused by:".
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var causeIndex = Array.FindIndex(lines, l => l.StartsWith("Caused by:", StringComparison.Ordinal));
        if (causeIndex >= 0 && causeIndex + 1 < lines.Length)
        {
            return lines[causeIndex + 1].TrimStart('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ' ');
        }

        return lines.Length > 0 ? lines[0] : message;
    }

    private static WorkerError Error(ErrorKind kind, string message) => new() { Kind = kind, Message = message };

    private static ValueBox ToBox(WireValue value) => value.Type switch
    {
        // Each arm is cast on its own: a bare switch would widen every arm to double and corrupt integers.
        PluginValueType.I32 => (ValueBox)(int)value.Bits,
        PluginValueType.I64 => (ValueBox)value.Bits,
        PluginValueType.F32 => (ValueBox)BitConverter.Int32BitsToSingle((int)value.Bits),
        _ => (ValueBox)BitConverter.Int64BitsToDouble(value.Bits),
    };

    private static WireValue FromResult(object? result, PluginValueType type) => type switch
    {
        PluginValueType.I32 => new WireValue { Type = type, Bits = Convert.ToInt32(result, CultureInfo.InvariantCulture) },
        PluginValueType.I64 => new WireValue { Type = type, Bits = Convert.ToInt64(result, CultureInfo.InvariantCulture) },
        PluginValueType.F32 => new WireValue { Type = type, Bits = BitConverter.SingleToInt32Bits(Convert.ToSingle(result, CultureInfo.InvariantCulture)) },
        _ => new WireValue { Type = type, Bits = BitConverter.DoubleToInt64Bits(Convert.ToDouble(result, CultureInfo.InvariantCulture)) },
    };

    private static object?[] Flatten(object? raw, int count) => count switch
    {
        0 => [],
        1 => [raw],
        _ => (object?[])raw!,
    };

    private WorkerError? Instantiate(out long initFuelConsumed)
    {
        initFuelConsumed = 0;
        DropInstance();
        var newStore = new Store(engine);
        newStore.SetLimits(memorySize: memoryLimitBytes, tableElements: 1_000_000, instances: 1, tables: 8, memories: 1);
        newStore.SetEpochDeadline(ulong.MaxValue / 2);
        newStore.Fuel = (ulong)Math.Max(1, initFuel);
        store = newStore;
        Interlocked.Increment(ref instantiations);
        try
        {
            ticker.Enter();
            var started = Stopwatch.GetTimestamp();
            try
            {
                newStore.SetEpochDeadline(ticker.TicksFor(initTimeoutMs));
                instance = linker.Instantiate(newStore, module);
                memory = instance.GetMemory(ProtocolConstants.MemoryExport);
                alloc = instance.GetFunction(ProtocolConstants.AllocExport);
                free = instance.GetFunction(ProtocolConstants.FreeExport);
                var init = instance.GetFunction(ProtocolConstants.InitExport);
                if (init is not null)
                {
                    var status = Convert.ToInt32(init.Invoke(), CultureInfo.InvariantCulture);
                    if (status != 0)
                    {
                        DropInstance();
                        return Error(ErrorKind.Trap, $"{ProtocolConstants.InitExport} returned {status}; the plugin refused to start");
                    }
                }
            }
            catch (TrapException ex)
            {
                var error = Classify(ex, Math.Max(1, initFuel), Stopwatch.GetElapsedTime(started));
                DropInstance();
                return error;
            }
            catch (WasmtimeException ex) when (ex.Message.Contains("exceeds memory limits", StringComparison.Ordinal))
            {
                DropInstance();
                return new WorkerError
                {
                    Kind = ErrorKind.MemoryLimitExceeded,
                    Message = $"the module's initial memory exceeds the limit of {memoryLimitBytes} bytes: {FirstLine(ex.Message)}",
                    UsedBytes = DeclaredMinimumMemory(),
                    LimitBytes = memoryLimitBytes,
                };
            }
            catch (WasmtimeException ex)
            {
                DropInstance();
                return Error(ErrorKind.Trap, $"instantiation failed: {FirstLine(ex.Message)}");
            }
            finally
            {
                ticker.Exit();
            }

            initFuelConsumed = Math.Max(1, initFuel) - (long)newStore.Fuel;
            TrackMemory();
            return null;
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException)
        {
            DropInstance();
            return Error(ErrorKind.Trap, $"{ProtocolConstants.InitExport} must return an i32: {ex.Message}");
        }
    }

    private long DeclaredMinimumMemory()
    {
        foreach (var export in module.Exports)
        {
            if (export is MemoryExport m)
            {
                return m.Minimum * PageSize;
            }
        }

        return 0;
    }

    private InvokeResponse Call(InvokeRequest request)
    {
        var function = Export(request.Function);
        if (function is null)
        {
            return new InvokeResponse { Error = NotExported(request.Function) };
        }

        signatures.TryGetValue(request.Function, out var signature);
        var argumentError = CheckArguments(function, signature, request.Args);
        if (argumentError is not null)
        {
            return new InvokeResponse { Error = argumentError };
        }

        var mark = BeginGuestCall(request.Fuel, request.TimeoutMs);
        InvokeResponse response;
        try
        {
            // A buffer argument takes two wasm parameters (pointer, length); the rest one each.
            var slots = request.Args.Length;
            foreach (var arg in request.Args)
            {
                slots += arg.Type is PluginValueType.Bytes or PluginValueType.String ? 1 : 0;
            }

            var boxes = new ValueBox[slots];
            var next = 0;
            foreach (var arg in request.Args)
            {
                if (arg.Type is PluginValueType.Bytes or PluginValueType.String)
                {
                    var (ptr, len) = CopyIn(arg.Bytes ?? []);
                    boxes[next++] = ptr;
                    boxes[next++] = len;
                }
                else
                {
                    boxes[next++] = ToBox(arg);
                }
            }

            var raw = function.Invoke(boxes);
            response = bridge.DeadlinePassed
                ? new InvokeResponse { Error = TimeoutError(Stopwatch.GetElapsedTime(mark.Started), "while the host worked") }
                : new InvokeResponse { Results = ConvertResults(function, signature, raw, request.StatusOrBuffer) };
        }
        catch (Exception ex) when (ex is TrapException or GuestContractException or WasmtimeException)
        {
            response = new InvokeResponse { Error = GuestFailure(ex, request.Fuel, mark) };
        }
        finally
        {
            ticker.Exit();
        }

        var figures = EndGuestCall(mark, request.Fuel, response.Error, request.CallId, request.Function);
        response.DurationUs = figures.DurationUs;
        response.FuelConsumed = figures.FuelConsumed;
        response.HostCalls = figures.HostCalls;
        response.HostCallErrors = figures.HostCallErrors;
        response.Reinstantiated = response.Error is not null;
        response.MemoryBytes = figures.MemoryBytes;
        response.PeakMemoryBytes = PeakMemoryBytes;
        return response;
    }

    /// <summary>
    /// Gets the result types of an export for packed results: the numeric types it returns, or <see langword="null"/>
    /// when it returns a buffer or string (its manifest signature says so), a wasm type that cannot cross the
    /// boundary, or is not exported.
    /// </summary>
    /// <param name="function">The export.</param>
    /// <returns>The types, or <see langword="null"/>.</returns>
    public PluginValueType[]? PackableResults(string function)
    {
        if (signatures.TryGetValue(function, out var signature) && !signature.Returns.All(PackedValues.IsPackable))
        {
            return null;
        }

        foreach (var export in module.Exports)
        {
            if (export is FunctionExport candidate && candidate.Name == function)
            {
                var types = new PluginValueType[candidate.Results.Count];
                for (var i = 0; i < types.Length; i++)
                {
                    if (EngineFactory.ToPluginType(candidate.Results[i]) is not { } type)
                    {
                        return null;
                    }

                    types[i] = type;
                }

                return types;
            }
        }

        return null;
    }

    /// <summary>
    /// Runs one row of a packed batch: a call like <see cref="Invoke"/> whose arguments and results are raw bits, made
    /// through a typed wrapper where the signature allows and without an object per value.
    /// </summary>
    /// <param name="row">The call's export, argument types, limits and ids.</param>
    /// <param name="args">The arguments' raw bits.</param>
    /// <param name="results">Receives the results' raw bits (as many as <see cref="PackableResults"/> gave).</param>
    /// <returns>What the row consumed, and its outcome if it failed.</returns>
    public PackedRowOutcome InvokeRow(in PackedRowCall row, ReadOnlySpan<long> args, Span<long> results)
    {
        bridge.Begin(row.CallId, TimeSpan.FromMilliseconds(row.TimeoutMs), row.TraceParent, row.Started);
        try
        {
            var reinstantiated = false;
            if (instance is null)
            {
                var replacing = Instantiations > 0;
                var error = Instantiate(out _);
                if (error is not null)
                {
                    return PackedRowOutcome.Of(new InvokeResponse { Error = error, Reinstantiated = replacing, PeakMemoryBytes = PeakMemoryBytes });
                }

                reinstantiated = replacing;
            }

            var binding = Bind(row.Function, row.Types);
            if (binding.Error is not null)
            {
                return PackedRowOutcome.Of(new InvokeResponse { Error = binding.Error(), Reinstantiated = reinstantiated, PeakMemoryBytes = PeakMemoryBytes });
            }

            // Two clock reads per row (its start, taken by the batch loop, and its end), not five.
            var mark = BeginGuestCall(row.Fuel, row.TimeoutMs, row.Started);
            WorkerError? failure = null;
            long ended;
            try
            {
                binding.Call!.Call(args, results);
                if (bridge.DeadlinePassed)
                {
                    failure = TimeoutError(Stopwatch.GetElapsedTime(mark.Started), "while the host worked");
                }
            }
            catch (Exception ex) when (ex is TrapException or WasmtimeException)
            {
                failure = GuestFailure(ex, row.Fuel, mark);
            }
            finally
            {
                ended = Stopwatch.GetTimestamp();
                ticker.Exit(ended);
            }

            var figures = EndGuestCall(mark, row.Fuel, failure, row.CallId, row.Function, ended);
            if (failure is null)
            {
                return new PackedRowOutcome(figures.FuelConsumed, figures.DurationUs, figures.HostCalls, PeakMemoryBytes, reinstantiated, null);
            }

            return PackedRowOutcome.Of(new InvokeResponse
            {
                Error = failure,
                FuelConsumed = figures.FuelConsumed,
                DurationUs = figures.DurationUs,
                HostCalls = figures.HostCalls,
                HostCallErrors = figures.HostCallErrors,
                MemoryBytes = figures.MemoryBytes,
                PeakMemoryBytes = PeakMemoryBytes,
                Reinstantiated = true,
            });
        }
        finally
        {
            bridge.End();
        }
    }

    private static WorkerError NotExported(string function) => Error(ErrorKind.FunctionNotFound, $"the plugin exports no function named '{function}'");

    private Function? Export(string name)
    {
        if (!functions.TryGetValue(name, out var function) && (function = instance!.GetFunction(name)) is not null)
        {
            functions[name] = function;
        }

        return function;
    }

    /// <summary>
    /// The packed-row binding of an export for these argument types, made once per instance: its typed call, or the
    /// error every row gets (not exported, arguments of the wrong types) in the words a single call would get.
    /// </summary>
    private RowBinding Bind(string name, PluginValueType[] types)
    {
        if (rowBindings.TryGetValue(name, out var bound) && bound.Types.AsSpan().SequenceEqual(types))
        {
            return bound;
        }

        var function = Export(name);
        if (function is null)
        {
            bound = new RowBinding(types, null, () => NotExported(name));
        }
        else
        {
            signatures.TryGetValue(name, out var signature);
            var args = Array.ConvertAll(types, t => new WireValue { Type = t });
            var argumentError = CheckArguments(function, signature, args);
            var call = argumentError is null ? RowCall.Create(function) : null;
            bound = argumentError is not null
                ? new RowBinding(types, null, () => CheckArguments(function, signature, args)!)
                : call is null
                    ? new RowBinding(types, null, () => Error(ErrorKind.InvalidArguments, $"'{name}' has a parameter or result that cannot travel in a packed batch"))
                    : new RowBinding(types, call, null);
        }

        rowBindings[name] = bound;
        return bound;
    }

    private CallMark BeginGuestCall(long fuel, long timeoutMs) => BeginGuestCall(fuel, timeoutMs, Stopwatch.GetTimestamp());

    private CallMark BeginGuestCall(long fuel, long timeoutMs, long started)
    {
        var activeStore = store!;
        activeStore.Fuel = (ulong)Math.Max(0, fuel);
        activeStore.SetEpochDeadline(ticker.TicksFor(timeoutMs));
        var mark = new CallMark(activeStore, bridge.HostCalls, bridge.HostCallErrors, started);
        ticker.Enter();
        return mark;
    }

    private WorkerError GuestFailure(Exception ex, long fuel, in CallMark mark) => ex switch
    {
        TrapException trap => Classify(trap, fuel, Stopwatch.GetElapsedTime(mark.Started)),
        GuestContractException contract => Error(ErrorKind.Trap, contract.Message),
        _ => Error(ErrorKind.Trap, FirstLine(ex.Message)),
    };

    /// <summary>
    /// What a guest call consumed; after a failure, logs it and drops the instance (its state is undefined after a
    /// trap, so the next call gets a fresh one).
    /// </summary>
    private CallFigures EndGuestCall(in CallMark mark, long fuel, WorkerError? error, long callId, string function, long? ended = null)
    {
        var elapsed = Stopwatch.GetElapsedTime(mark.Started, ended ?? Stopwatch.GetTimestamp());
        var figures = new CallFigures(
            (long)elapsed.TotalMicroseconds,
            Math.Max(0, fuel) - (long)mark.Store.Fuel,
            bridge.HostCalls - mark.HostCalls,
            bridge.HostCallErrors - mark.HostCallErrors,
            0);
        if (error is not null)
        {
            error.FuelConsumed = figures.FuelConsumed;
            error.ElapsedMs = error.ElapsedMs > 0 ? error.ElapsedMs : elapsed.TotalMilliseconds;
            WorkerLog.CallTrapped(logger, callId, function, error.Kind.ToString(), error.Message);
        }

        TrackMemory();
        figures = figures with { MemoryBytes = MemoryBytes };
        if (error is not null)
        {
            DropInstance();
        }

        return figures;
    }

    private WorkerError? CheckArguments(Function function, FunctionSignatureDto? signature, WireValue[] args)
    {
        if (signature is not null)
        {
            if (args.Length != signature.Params.Length)
            {
                return Error(ErrorKind.InvalidArguments, $"'{signature.Function}' takes {signature.Params.Length} argument(s) ({string.Join(", ", signature.Params)}), got {args.Length}");
            }

            for (var i = 0; i < args.Length; i++)
            {
                if (args[i].Type != signature.Params[i])
                {
                    return Error(ErrorKind.InvalidArguments, $"argument {i} of '{signature.Function}' must be {signature.Params[i]}, got {args[i].Type}");
                }

                if (args[i].Type is PluginValueType.Bytes or PluginValueType.String && alloc is null)
                {
                    return Error(ErrorKind.InvalidArguments, $"'{signature.Function}' takes {args[i].Type} but the plugin exports no {ProtocolConstants.AllocExport}");
                }
            }

            return null;
        }

        var parameters = function.Parameters;
        if (args.Length != parameters.Count)
        {
            return Error(ErrorKind.InvalidArguments, $"the export takes {parameters.Count} argument(s), got {args.Length}");
        }

        for (var i = 0; i < args.Length; i++)
        {
            var expected = EngineFactory.ToPluginType(parameters[i]);
            if (expected is null)
            {
                return Error(ErrorKind.InvalidArguments, $"parameter {i} has wasm type {parameters[i]}, which cannot cross the plugin boundary");
            }

            if (args[i].Type != expected)
            {
                return Error(ErrorKind.InvalidArguments, $"argument {i} must be {expected}, got {args[i].Type} (declare a signature in the manifest to pass bytes or strings)");
            }
        }

        return null;
    }

    private (int Ptr, int Len) CopyIn(byte[] data)
    {
        if (alloc!.Parameters is not [ValueKind.Int32] || alloc.Results is not [ValueKind.Int32])
        {
            throw new GuestContractException($"{ProtocolConstants.AllocExport} must be (i32) -> i32 to pass a buffer in");
        }

        var ptr = Convert.ToInt32(alloc!.Invoke(data.Length), CultureInfo.InvariantCulture);
        var mem = memory ?? throw new GuestContractException($"the plugin exports no '{ProtocolConstants.MemoryExport}' to pass a buffer through");
        if (ptr < 0 || (long)ptr + data.Length > mem.GetLength())
        {
            throw new GuestContractException($"{ProtocolConstants.AllocExport}({data.Length}) returned {ptr}, which is outside guest memory ({mem.GetLength()} bytes)");
        }

        data.CopyTo(mem.GetSpan(ptr, data.Length));
        return (ptr, data.Length);
    }

    private WireValue[] ConvertResults(Function function, FunctionSignatureDto? signature, object? raw, bool statusOrBuffer)
    {
        var kinds = function.Results;
        var values = Flatten(raw, kinds.Count);
        if (statusOrBuffer && kinds.Count == 1 && kinds[0] == ValueKind.Int64)
        {
            var result = Convert.ToInt64(values[0], CultureInfo.InvariantCulture);
            return [result > 0 ? new WireValue { Type = PluginValueType.Bytes, Bytes = CopyOut(result) } : new WireValue { Type = PluginValueType.I64, Bits = result }];
        }

        if (signature is null)
        {
            var plain = new WireValue[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var type = EngineFactory.ToPluginType(kinds[i]) ?? throw new GuestContractException($"result {i} has wasm type {kinds[i]}, which cannot cross the plugin boundary");
                plain[i] = FromResult(values[i], type);
            }

            return plain;
        }

        var results = new WireValue[signature.Returns.Length];
        for (var i = 0; i < signature.Returns.Length; i++)
        {
            var type = signature.Returns[i];
            if (type is PluginValueType.Bytes or PluginValueType.String)
            {
                var packed = Convert.ToInt64(values[i], CultureInfo.InvariantCulture);
                results[i] = new WireValue { Type = type, Bytes = CopyOut(packed) };
            }
            else
            {
                results[i] = FromResult(values[i], type);
            }
        }

        return results;
    }

    private byte[] CopyOut(long packed)
    {
        var ptr = (long)((ulong)packed >> 32);
        var len = packed & 0xFFFF_FFFFL;
        var mem = memory ?? throw new GuestContractException($"the plugin returns a buffer but exports no '{ProtocolConstants.MemoryExport}'");
        if (ptr + len > mem.GetLength())
        {
            throw new GuestContractException($"the returned buffer (ptr {ptr}, len {len}) is outside guest memory ({mem.GetLength()} bytes)");
        }

        var copy = mem.GetSpan(ptr, (int)len).ToArray();
        free?.Invoke((int)ptr, (int)len);
        return copy;
    }

    private WorkerError Classify(TrapException ex, long fuelGiven, TimeSpan elapsed)
    {
        var reason = FirstLine(ex.Message);
        switch (ex.Type)
        {
            case TrapCode.OutOfFuel:
                return new WorkerError { Kind = ErrorKind.FuelExhausted, Message = $"the call ran out of fuel after consuming {fuelGiven}", FuelConsumed = fuelGiven };
            case TrapCode.Interrupt:
                return TimeoutError(elapsed, "and was interrupted");
            default:
                var used = MemoryBytes;

                // The store refuses a memory.grow that would pass the limit by returning -1; a guest that then traps
                // (the usual reaction) ran out of memory, not into a bug. Within a page of the limit, no grow can succeed.
                if (memory is not null && used + PageSize > memoryLimitBytes)
                {
                    return new WorkerError
                    {
                        Kind = ErrorKind.MemoryLimitExceeded,
                        Message = $"the plugin trapped ({reason}) after its store refused to grow memory past {memoryLimitBytes} bytes",
                        UsedBytes = used,
                        LimitBytes = memoryLimitBytes,
                        TrapCode = ex.Type.ToString(),
                    };
                }

                return new WorkerError { Kind = ErrorKind.Trap, Message = $"wasm trap {ex.Type}: {reason}", TrapCode = ex.Type.ToString() };
        }
    }

    private static WorkerError TimeoutError(TimeSpan elapsed, string how)
        => new() { Kind = ErrorKind.Timeout, Message = $"the call passed its deadline {how}; it ran {elapsed.TotalMilliseconds:F1} ms", ElapsedMs = elapsed.TotalMilliseconds };

    private void TrackMemory()
    {
        var current = MemoryBytes;
        Volatile.Write(ref reportedMemoryBytes, current);
        if (current > PeakMemoryBytes)
        {
            Volatile.Write(ref peakMemoryBytes, current);
        }
    }

    private void DropInstance()
    {
        functions.Clear();
        rowBindings.Clear();
        instance = null;
        memory = null;
        alloc = null;
        free = null;
        Volatile.Write(ref reportedMemoryBytes, 0);
        store?.Dispose();
        store = null;
    }

    /// <summary>The guest broke the value-passing ABI (bad pointer, missing export); reported as a trap.</summary>
    private sealed class GuestContractException(string message) : Exception(message);

    /// <summary>The state a guest call starts from: its store, the host-call counters and the time.</summary>
    private readonly record struct CallMark(Store Store, long HostCalls, long HostCallErrors, long Started);

    /// <summary>What a guest call consumed, and the linear memory after it.</summary>
    private readonly record struct CallFigures(long DurationUs, long FuelConsumed, long HostCalls, long HostCallErrors, long MemoryBytes);

    /// <summary>An export bound for packed rows of one argument-type list: its call, or how each row fails.</summary>
    private sealed record RowBinding(PluginValueType[] Types, RowCall? Call, Func<WorkerError>? Error);
}

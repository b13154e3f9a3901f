using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Micro;

/// <summary>
/// The worker's own cost of one call or batch row, without a pipe or serialization: <c>PluginInstance.Invoke</c> of
/// <c>add(i32, i32)</c> as a batch row runs it (fuel, epoch deadline, host-call scope, argument checks, result
/// conversion, memory tracking), and a packed row (raw bits, a typed call), against the bare Wasmtime calls of
/// <see cref="WasmCall"/>.
/// </summary>
[MemoryDiagnoser]
public class WorkerRows : IDisposable
{
    private const string Wat = "(module (memory (export \"memory\") 1) (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))";

    private Engine engine = null!;
    private EpochTicker ticker = null!;
    private PluginModule module = null!;
    private PluginInstance instance = null!;
    private InvokeRequest request = null!;
    private readonly PluginValueType[] types = [PluginValueType.I32, PluginValueType.I32];
    private long[] args = null!;
    private long[] results = null!;

    /// <summary>Loads the module the way the worker does (a precompiled artifact) and rents its instance.</summary>
    [GlobalSetup]
    public void Setup()
    {
        engine = EngineFactory.Create(new EngineSettings());
        ticker = new EpochTicker(engine, 1);
        using var compiled = Module.FromText(engine, "add", Wat);
        var load = new LoadRequest { PluginId = "add", Artifact = compiled.Serialize(), MemoryLimitBytes = 2 << 20, InitFuel = 1_000_000, InitTimeoutMs = 1_000 };
        var response = PluginModule.Load(engine, ticker, (_, _) => new HostCallResponse(), NullLogger.Instance, load, out var loaded);
        module = loaded ?? throw new InvalidOperationException(response.Error?.Message);
        instance = module.TryRent() ?? throw new InvalidOperationException("no instance");
        request = new InvokeRequest
        {
            CallId = 1,
            Function = "add",
            Args = [new WireValue { Type = PluginValueType.I32, Bits = 1 }, new WireValue { Type = PluginValueType.I32, Bits = 2 }],
            Fuel = 1_000_000,
            TimeoutMs = 1_000,
        };
        args = [1, 2];
        results = new long[1];
    }

    /// <summary>One row as the worker runs it.</summary>
    /// <returns>The row's answer.</returns>
    [Benchmark]
    public InvokeResponse Row() => instance.Invoke(request);

    /// <summary>One packed row as the worker runs it (protocol v3): raw bits in and out, a typed call; the start read from the clock as the batch loop does.</summary>
    /// <returns>The row's fuel.</returns>
    [Benchmark]
    public long PackedRow() => instance.InvokeRow(new PackedRowCall(1, "add", types, 1_000_000, 1_000, null, System.Diagnostics.Stopwatch.GetTimestamp()), args, results).FuelConsumed;

    /// <inheritdoc/>
    [GlobalCleanup]
    public void Dispose()
    {
        module?.Return(instance);
        module?.Dispose();
        ticker?.Dispose();
        engine?.Dispose();
        GC.SuppressFinalize(this);
    }
}

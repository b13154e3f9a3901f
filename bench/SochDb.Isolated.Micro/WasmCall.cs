using BenchmarkDotNet.Attributes;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Micro;

/// <summary>
/// One <c>add(i32, i32)</c> in process, the way the worker calls exports (untyped, <see cref="ValueBox"/> arguments)
/// and typed: the floor under every supervised call and batch row.
/// </summary>
public class WasmCall : IDisposable
{
    private const string Wat = "(module (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))";

    private Engine engine = null!;
    private Module module = null!;
    private Store store = null!;
    private Linker linker = null!;
    private Instance instance = null!;
    private Function untyped = null!;
    private Func<int, int, int> typed = null!;
    private ValueBox[] arguments = null!;

    /// <summary>Instantiates the module with the worker's engine settings.</summary>
    [GlobalSetup]
    public void Setup()
    {
        engine = EngineFactory.Create(new EngineSettings());
        module = Module.FromText(engine, "add", Wat);
        store = new Store(engine) { Fuel = ulong.MaxValue / 2 };
        store.SetEpochDeadline(ulong.MaxValue / 2);
        linker = new Linker(engine);
        instance = linker.Instantiate(store, module);
        untyped = instance.GetFunction("add")!;
        typed = instance.GetFunction<int, int, int>("add")!;
        arguments = [1, 2];
    }

    /// <summary>The worker's way: untyped, boxed arguments and result.</summary>
    /// <returns>The result.</returns>
    [Benchmark(Baseline = true)]
    public object? Untyped() => untyped.Invoke(arguments);

    /// <summary>Typed.</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public int Typed() => typed(1, 2);

    /// <summary>Looking the export up, as the worker does per call.</summary>
    /// <returns>The function.</returns>
    [Benchmark]
    public Function? Lookup() => instance.GetFunction("add");

    /// <inheritdoc/>
    [GlobalCleanup]
    public void Dispose()
    {
        linker?.Dispose();
        store?.Dispose();
        module?.Dispose();
        engine?.Dispose();
        GC.SuppressFinalize(this);
    }
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// The host-call round trip: <c>ping(n)</c> makes <c>n</c> <c>emit_metric</c> calls. One host call costs
/// (time of <c>ping(HostCalls)</c> − time of a plain invoke) / <see cref="HostCalls"/>, which the report derives from
/// medians measured side by side; in process, the same module with the host function defined in the same process.
/// </summary>
internal static class HostCallScenarios
{
    /// <summary>The id of the in-process scenario.</summary>
    public const string InProcessId = "inproc-ping100";

    /// <summary>The id of the supervised scenario.</summary>
    public const string SupervisedId = "rpc-ping100-msgpack-lp";

    /// <summary>The plugin id.</summary>
    public const string PluginId = "bench-host";

    /// <summary>Host calls per timed invoke.</summary>
    public const int HostCalls = 100;

    private const string ManifestText = """
        [plugin]
        name = "bench-host"
        version = "1.0.0"

        [resources]
        max_host_calls = 1000
        timeout_ms = 10000

        [exports]
        functions = ["ping"]
        """;

    /// <summary>Loads <c>bench_host.wat</c>.</summary>
    /// <returns>The module bytes.</returns>
    public static byte[] LoadModule()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Modules", "bench_host.wat");
        return Module.ConvertText(File.ReadAllText(path)).ToArray();
    }

    /// <summary>Loads the host-call plugin into a supervisor.</summary>
    /// <param name="supervisor">The supervisor.</param>
    /// <returns>A task that completes when it is loaded.</returns>
    public static async Task LoadAsync(PluginSupervisor supervisor)
    {
        var parsed = ManifestParser.Parse(ManifestText);
        await supervisor.LoadAsync(PluginId, LoadModule(), parsed.Manifest ?? throw new InvalidOperationException(string.Join("; ", parsed.Diagnostics)));
    }

    /// <summary>The supervised scenario: one invoke of <c>ping(100)</c>.</summary>
    /// <param name="supervisor">A supervisor with the plugin loaded.</param>
    /// <param name="iterations">Timed invokes.</param>
    /// <param name="direct">Whether the supervisor sends calls on the direct lane (the id gets <c>-direct</c>).</param>
    /// <returns>The scenario.</returns>
    public static TimedScenario Supervised(PluginSupervisor supervisor, int iterations, bool direct = false)
    {
        IReadOnlyList<PluginValue> args = [PluginValue.I32(HostCalls)];
        return new TimedScenario(
            SupervisedId + (direct ? Scenarios.DirectSuffix : string.Empty),
            $"(e) ping({HostCalls}): {HostCalls} host calls in one invoke, supervisor -> worker -> supervisor{(direct ? ", direct lane" : string.Empty)}, {WireFormat.MessagePackLengthPrefixed}",
            WireFormat.MessagePackLengthPrefixed,
            iterations,
            TimedScenario.Async(
                () => supervisor.InvokeAsync(PluginId, "ping", args),
                r => Scenarios.Expect(r.Values.Count == 1 && r.Values[0].AsI32() == 0 && r.Receipt.HostCalls == HostCalls, $"supervisor ping({HostCalls}) did not make {HostCalls} successful host calls")));
    }

    /// <summary>The in-process scenario: <c>ping(100)</c> with <c>emit_metric</c> defined in this process.</summary>
    /// <param name="owner">Owns the Wasmtime objects.</param>
    /// <param name="iterations">Timed invokes.</param>
    /// <returns>The scenario.</returns>
    public static TimedScenario InProcess(Scenarios owner, int iterations)
    {
        var engine = Own(owner, EngineFactory.Create(new EngineSettings()));
        var module = Own(owner, Module.FromBytes(engine, PluginId, LoadModule()));
        var store = Own(owner, new Store(engine));
        store.Fuel = 1_000_000_000_000_000UL;
        store.SetEpochDeadline(ulong.MaxValue / 2);
        var linker = Own(owner, new Linker(engine));
        var counters = new Dictionary<string, double>(StringComparer.Ordinal);

        // The same work the supervisor does for the counter, minus the process boundary and the audit record: read
        // the name from guest memory, count it.
        linker.DefineFunction("sochdb", "emit_metric", (Caller caller, int kind, int ptr, int len, double value) =>
        {
            var memory = caller.GetMemory("memory");
            if (memory is null || kind != 0)
            {
                return -3;
            }

            var name = memory.ReadString(ptr, len);
            counters[name] = counters.GetValueOrDefault(name) + value;
            return 0;
        });
        var instance = linker.Instantiate(store, module);
        var ping = instance.GetFunction<int, int>("ping") ?? throw new InvalidOperationException("bench_host exports no ping(i32) -> i32");
        return new TimedScenario(
            InProcessId,
            $"(e) ping({HostCalls}): {HostCalls} host calls in one call, in-process Wasmtime",
            null,
            iterations,
            TimedScenario.Sync(() => ping(HostCalls), r => Scenarios.Expect(r == 0, "in-process ping failed")));
    }

    private static T Own<T>(Scenarios owner, T disposable)
        where T : IDisposable
        => owner.Own(disposable);
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// Builds the scenarios: (a) <c>add</c> in this process, (b) <c>add</c> through a supervisor per wire format, and
/// (c) a 64 KiB echo through a supervisor. Owns everything they run on until disposed.
/// </summary>
internal sealed class Scenarios : IAsyncDisposable
{
    public const string InProcessId = "inproc-add";
    public const string PluginId = "bench";
    public const int EchoBytes = 64 * 1024;
    public const int BatchRows = 1000;

    private const string ManifestText = """
        [plugin]
        name = "bench"
        version = "1.0.0"

        [exports]
        functions = ["add", "echo"]

        [exports.signatures.echo]
        params = ["bytes"]
        returns = ["bytes"]
        """;

    private readonly List<IDisposable> disposables = [];
    private readonly List<PluginSupervisor> supervisors = [];

    /// <summary>Appended to the id of a scenario that runs on the Native AOT worker.</summary>
    public const string NativeSuffix = "-native";

    /// <summary>The id suffix of a scenario whose calls travel on the direct lane (<see cref="PluginSupervisorOptions.DirectCalls"/>).</summary>
    public const string DirectSuffix = "-direct";

    public static string AddId(WireFormat format) => "rpc-add-" + Slug(format);

    public static string EchoId(WireFormat format) => "rpc-echo64k-" + Slug(format);

    public static string AddBatchId(WireFormat format) => "rpc-addbatch-" + Slug(format);

    public static byte[] LoadModule()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Modules", "bench.wat");
        return Module.ConvertText(File.ReadAllText(path)).ToArray();
    }

    public static PluginManifest ParseManifest()
    {
        var parsed = ManifestParser.Parse(ManifestText);
        return parsed.Manifest ?? throw new InvalidOperationException("bench manifest is invalid: " + string.Join("; ", parsed.Diagnostics));
    }

    /// <summary>(a) <c>add(1, 2)</c> through <c>Function.Invoke(ValueBox[])</c> on an instance in this process.</summary>
    /// <remarks>
    /// The engine comes from the same <c>EngineFactory</c> the worker uses (fuel and epoch interruption on).
    /// Fuel and the epoch deadline are set once, large enough for the whole run; no epoch ticker runs.
    /// </remarks>
    public TimedScenario InProcessAdd(byte[] wasm, int iterations)
    {
        var engine = Own(EngineFactory.Create(new EngineSettings()));
        var module = Own(Module.FromBytes(engine, PluginId, wasm));
        var store = Own(new Store(engine));
        store.Fuel = 1_000_000_000_000_000UL;
        store.SetEpochDeadline(ulong.MaxValue / 2);
        var linker = Own(new Linker(engine));
        var instance = linker.Instantiate(store, module);
        var add = instance.GetFunction("add") ?? throw new InvalidOperationException("bench module exports no 'add'");
        ValueBox[] args = [1, 2];
        return new TimedScenario(
            InProcessId,
            "(a) add(i32,i32), in-process Wasmtime",
            null,
            iterations,
            TimedScenario.Sync(() => add.Invoke(args), r => Expect(r is int sum && sum == 3, "in-process add(1, 2) did not return 3")));
    }

    /// <summary>Starts a supervisor with the given wire format and loads the bench plugin into its worker.</summary>
    /// <param name="wasm">The bench module.</param>
    /// <param name="manifest">Its manifest.</param>
    /// <param name="format">The wire format.</param>
    /// <param name="workerPath">Another worker build (the Native AOT one), or <see langword="null"/> for the default.</param>
    /// <param name="direct">Whether calls travel on the workers' direct lanes (<see cref="PluginSupervisorOptions.DirectCalls"/>).</param>
    /// <returns>The supervisor, owned by this instance.</returns>
    public async Task<PluginSupervisor> StartSupervisorAsync(byte[] wasm, PluginManifest manifest, WireFormat format, string? workerPath = null, bool direct = false)
    {
        var supervisor = new PluginSupervisor(new PluginSupervisorOptions { WireFormat = format, WorkerPath = workerPath, DirectCalls = direct });
        supervisors.Add(supervisor);
        await supervisor.LoadAsync(PluginId, wasm, manifest);
        return supervisor;
    }

    /// <summary>(b) <c>add(1, 2)</c> through a supervisor and its worker.</summary>
    /// <param name="supervisor">The supervisor, with the bench plugin loaded.</param>
    /// <param name="format">Its wire format.</param>
    /// <param name="iterations">Timed calls.</param>
    /// <param name="native">Whether its worker is the Native AOT build (the id gets <c>-native</c>).</param>
    /// <param name="direct">Whether the supervisor sends calls on the direct lane (the id gets <c>-direct</c>).</param>
    /// <returns>The scenario.</returns>
    public static TimedScenario SupervisorAdd(PluginSupervisor supervisor, WireFormat format, int iterations, bool native = false, bool direct = false)
    {
        IReadOnlyList<PluginValue> args = [PluginValue.I32(1), PluginValue.I32(2)];
        return new TimedScenario(
            AddId(format) + (native ? NativeSuffix : string.Empty) + (direct ? DirectSuffix : string.Empty),
            $"(b) add(i32,i32), supervisor -> {(native ? "Native AOT worker" : "worker")}{(direct ? ", direct lane" : string.Empty)}, {format}",
            format,
            iterations,
            TimedScenario.Async(
                () => supervisor.InvokeAsync(PluginId, "add", args),
                r => Expect(r.Values.Count == 1 && r.Values[0].AsI32() == 3, "supervisor add(1, 2) did not return 3")));
    }

    /// <summary>
    /// (d) <c>add(i, 2)</c> over <see cref="BatchRows"/> rows in one <c>InvokeBatchAsync</c>; each sample is the batch's
    /// time divided by its rows, so the figures are per row and compare directly with (a) and (b).
    /// </summary>
    /// <param name="supervisor">The supervisor, with the bench plugin loaded.</param>
    /// <param name="format">Its wire format.</param>
    /// <param name="batches">Timed batches.</param>
    /// <param name="native">Whether its worker is the Native AOT build (the id gets <c>-native</c>).</param>
    /// <returns>The scenario.</returns>
    public static TimedScenario SupervisorAddBatch(PluginSupervisor supervisor, WireFormat format, int batches, bool native = false)
    {
        var rows = Enumerable.Range(0, BatchRows).Select(i => (IReadOnlyList<PluginValue>)[PluginValue.I32(i), PluginValue.I32(2)]).ToArray();
        var timeBatch = TimedScenario.Async(
            () => supervisor.InvokeBatchAsync(PluginId, "add", rows),
            r => Expect(r.Rows.Count == BatchRows && r.Rows.Select((row, i) => row.Values.Count == 1 && row.Values[0].AsI32() == i + 2).All(ok => ok), "supervisor batch add returned a wrong row"));
        return new TimedScenario(
            AddBatchId(format) + (native ? NativeSuffix : string.Empty),
            $"(d) add(i32,i32) per row, batches of {BatchRows:N0}, supervisor -> {(native ? "Native AOT worker" : "worker")}, {format}",
            format,
            batches,
            async () => await timeBatch() / BatchRows);
    }

    /// <summary>(c) a 64 KiB <c>echo</c> through a supervisor and its worker; checks the bytes come back intact first.</summary>
    public static async Task<TimedScenario> SupervisorEchoAsync(PluginSupervisor supervisor, WireFormat format, int iterations, bool direct = false)
    {
        var payload = new byte[EchoBytes];
        new Random(42).NextBytes(payload);
        IReadOnlyList<PluginValue> args = [PluginValue.Bytes(payload)];
        var first = await supervisor.InvokeAsync(PluginId, "echo", args);
        Expect(first.Values[0].AsBytes() is { } bytes && bytes.Span.SequenceEqual(payload), "supervisor echo did not return its input");
        return new TimedScenario(
            EchoId(format) + (direct ? DirectSuffix : string.Empty),
            $"(c) echo 64 KiB bytes, supervisor -> worker{(direct ? ", direct lane" : string.Empty)}, {format}",
            format,
            iterations,
            TimedScenario.Async(
                () => supervisor.InvokeAsync(PluginId, "echo", args),
                r => Expect(r.Values.Count == 1 && r.Values[0].AsBytes()?.Length == EchoBytes, "supervisor echo returned the wrong length")));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var supervisor in supervisors)
        {
            await supervisor.DisposeAsync();
        }

        for (var i = disposables.Count - 1; i >= 0; i--)
        {
            disposables[i].Dispose();
        }
    }

    private static string Slug(WireFormat format) => format switch
    {
        WireFormat.MessagePackLengthPrefixed => "msgpack-lp",
        WireFormat.JsonLengthPrefixed => "json-lp",
        WireFormat.JsonHeaders => "json-headers",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Fails the run when a result is wrong: a benchmark of wrong answers measures nothing.</summary>
    /// <param name="condition">What must hold.</param>
    /// <param name="message">What went wrong otherwise.</param>
    internal static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    internal T Own<T>(T disposable)
        where T : IDisposable
    {
        disposables.Add(disposable);
        return disposable;
    }
}

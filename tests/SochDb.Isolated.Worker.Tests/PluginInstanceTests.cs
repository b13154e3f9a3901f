using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Tests;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Worker.Tests;

public sealed class PluginInstanceTests : IDisposable
{
    private const long Limit = 2 * 1024 * 1024;
    private readonly Engine engine = EngineFactory.Create(new EngineSettings());
    private readonly EpochTicker ticker;
    private readonly List<(PluginModule Module, PluginInstance Instance)> plugins = [];
    private readonly List<HostCallRequest> hostCalls = [];
    private readonly Func<HostCallRequest, TimeSpan, HostCallResponse> send;

    public PluginInstanceTests()
    {
        ticker = new EpochTicker(engine, 1);

        // Stands in for the supervisor: records each host call and answers with the worker's own verdict, if any.
        send = (request, _) =>
        {
            hostCalls.Add(request);
            return new HostCallResponse { Status = request.WorkerStatus };
        };
    }

    public void Dispose()
    {
        foreach (var (module, instance) in plugins)
        {
            module.Return(instance);
            module.Dispose();
        }

        ticker.Dispose();
        engine.Dispose();
    }

    [Fact]
    public void Invoke_Add_ReturnsSumAndFuel()
    {
        var plugin = Load("basic");
        var response = plugin.Invoke(Call("add", I32(2), I32(40)));
        Assert.Null(response.Error);
        Assert.Equal(42, (int)Assert.Single(response.Results).Bits);
        Assert.True(response.FuelConsumed > 0);
        Assert.Equal(65536, response.MemoryBytes);
    }

    [Fact]
    public void Invoke_FloatsAndI64_RoundTripExactly()
    {
        var plugin = Load("basic");
        var f32 = plugin.Invoke(Call("mulf32", new WireValue { Type = PluginValueType.F32, Bits = BitConverter.SingleToInt32Bits(1.5f) }, new WireValue { Type = PluginValueType.F32, Bits = BitConverter.SingleToInt32Bits(-4f) }));
        Assert.Equal(-6f, BitConverter.Int32BitsToSingle((int)f32.Results[0].Bits));
        var f64 = plugin.Invoke(Call("mulf64", new WireValue { Type = PluginValueType.F64, Bits = BitConverter.DoubleToInt64Bits(0.1) }, new WireValue { Type = PluginValueType.F64, Bits = BitConverter.DoubleToInt64Bits(3) }));
        Assert.Equal(0.1 * 3, BitConverter.Int64BitsToDouble(f64.Results[0].Bits));
        var i64 = plugin.Invoke(Call("add64", new WireValue { Type = PluginValueType.I64, Bits = long.MaxValue - 1 }, new WireValue { Type = PluginValueType.I64, Bits = 1 }));
        Assert.Equal(long.MaxValue, i64.Results[0].Bits);
        var pair = plugin.Invoke(Call("pair", I32(9)));
        Assert.Equal([PluginValueType.I32, PluginValueType.I64], pair.Results.Select(r => r.Type));
        Assert.Equal(10, pair.Results[1].Bits);
    }

    [Fact]
    public void Invoke_BytesSignature_EchoesThroughGuestMemoryAndFrees()
    {
        var plugin = Load("basic", Sig("echo", [PluginValueType.Bytes], [PluginValueType.Bytes]), Sig("frees", [], [PluginValueType.I32]));
        var payload = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray();
        var response = plugin.Invoke(Call("echo", new WireValue { Type = PluginValueType.Bytes, Bytes = payload }));
        Assert.Null(response.Error);
        Assert.Equal(payload, response.Results[0].Bytes);
        Assert.Equal(1, (int)plugin.Invoke(Call("frees")).Results[0].Bits);
    }

    [Fact]
    public void Invoke_StringSignature_TransformsText()
    {
        var plugin = Load("basic", Sig("upper", [PluginValueType.String], [PluginValueType.String]));
        var response = plugin.Invoke(Call("upper", new WireValue { Type = PluginValueType.String, Bytes = Encoding.UTF8.GetBytes("row hook ü") }));
        Assert.Equal("ROW HOOK ü", Encoding.UTF8.GetString(response.Results[0].Bytes!));
    }

    [Fact]
    public void Invoke_BufferOutOfBounds_IsTrap()
    {
        var plugin = Load("basic", Sig("bad_buffer", [], [PluginValueType.Bytes]));
        var response = plugin.Invoke(Call("bad_buffer"));
        Assert.Equal(ErrorKind.Trap, response.Error!.Kind);
        Assert.Contains("outside guest memory", response.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invoke_Spin_TimesOutNearDeadline()
    {
        var plugin = Load("basic");
        var response = plugin.Invoke(Call("spin", timeoutMs: 50, fuel: long.MaxValue / 4));
        Assert.Equal(ErrorKind.Timeout, response.Error!.Kind);
        Assert.InRange(response.Error.ElapsedMs, 45, 2000);
        Assert.True(response.Reinstantiated);
    }

    [Fact]
    public void Invoke_FuelBurner_IsFuelExhaustedWithConsumed()
    {
        var plugin = Load("basic");
        var response = plugin.Invoke(Call("burn", [I32(int.MaxValue)], fuel: 10_000));
        Assert.Equal(ErrorKind.FuelExhausted, response.Error!.Kind);
        Assert.Equal(10_000, response.FuelConsumed);
        var ok = plugin.Invoke(Call("burn", [I32(10)], fuel: 10_000));
        Assert.Null(ok.Error);
        Assert.Equal(7, (int)ok.Results[0].Bits);
    }

    [Fact]
    public void Invoke_MemoryBomb_IsMemoryLimitExceeded()
    {
        var plugin = Load("basic");
        var response = plugin.Invoke(Call("bomb"));
        Assert.Equal(ErrorKind.MemoryLimitExceeded, response.Error!.Kind);
        Assert.Equal(Limit, response.Error.LimitBytes);
        Assert.True(response.Error.UsedBytes <= Limit);
        Assert.True(response.PeakMemoryBytes > Limit / 2);
    }

    [Fact]
    public void Invoke_DeepRecursion_IsStackOverflowTrap()
    {
        var plugin = Load("basic");
        var response = plugin.Invoke(Call("recurse", [I32(0)], fuel: long.MaxValue / 4));
        Assert.Equal(ErrorKind.Trap, response.Error!.Kind);
        Assert.Equal("StackOverflow", response.Error.TrapCode);
    }

    [Fact]
    public void Invoke_AfterTrap_RunsOnFreshInstance()
    {
        var plugin = Load("basic");
        Assert.Equal(1, (int)plugin.Invoke(Call("count")).Results[0].Bits);
        Assert.Equal(2, (int)plugin.Invoke(Call("count")).Results[0].Bits);
        var trap = plugin.Invoke(Call("crash"));
        Assert.Equal("Unreachable", trap.Error!.TrapCode);
        var after = plugin.Invoke(Call("count"));
        Assert.Equal(1, (int)after.Results[0].Bits);
        Assert.Equal(2, plugin.Instantiations);
    }

    [Fact]
    public void Invoke_DivideByZero_IsTrapWithCode()
    {
        var response = Load("basic").Invoke(Call("divide", I32(1), I32(0)));
        Assert.Equal("IntegerDivisionByZero", response.Error!.TrapCode);
    }

    [Theory]
    [InlineData("nope", ErrorKind.FunctionNotFound)]
    [InlineData("add", ErrorKind.InvalidArguments)]
    public void Invoke_BadCall_IsTypedError(string function, ErrorKind kind)
    {
        var response = Load("basic").Invoke(Call(function, new WireValue { Type = PluginValueType.I64, Bits = 1 }));
        Assert.Equal(kind, response.Error!.Kind);
    }

    [Fact]
    public void Invoke_WrongArgumentTypeForSignature_IsInvalidArguments()
    {
        var plugin = Load("basic", Sig("echo", [PluginValueType.Bytes], [PluginValueType.Bytes]));
        var response = plugin.Invoke(Call("echo", I32(1)));
        Assert.Equal(ErrorKind.InvalidArguments, response.Error!.Kind);
    }

    [Fact]
    public void Invoke_LogHostCall_IsForwardedWithCallIdAndBadPointerIsFlagged()
    {
        var plugin = Load("basic");
        var call = Call("log_hello");
        call.CallId = 77;
        Assert.Equal(1, plugin.Invoke(call).HostCalls);
        var forwarded = Assert.Single(hostCalls);
        Assert.Equal("log", forwarded.Function);
        Assert.Equal(77, forwarded.CallId);
        Assert.Equal(1, forwarded.Count);
        Assert.Equal("hello from wasm", System.Text.Encoding.UTF8.GetString(forwarded.Data!));
        var bad = plugin.Invoke(Call("log_bad"));
        Assert.Null(bad.Error);
        Assert.Equal(1, bad.HostCalls);
        Assert.Equal(1, bad.HostCallErrors);
        Assert.Equal(HostStatus.InvalidArguments, hostCalls[1].WorkerStatus);
    }

    [Fact]
    public void Load_InitialMemoryOverLimit_IsMemoryLimitExceeded()
    {
        var response = TryLoad("big_memory", Limit, out _);
        Assert.Equal(ErrorKind.MemoryLimitExceeded, response.Error!.Kind);
        Assert.Equal(300L * 65536, response.Error.UsedBytes);
    }

    [Fact]
    public void Load_InitReturnsNonZero_Fails()
    {
        var response = TryLoad("init_fails", Limit, out _);
        Assert.Equal(ErrorKind.Trap, response.Error!.Kind);
        Assert.Contains("returned 3", response.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Init_RunsOncePerInstance()
    {
        var plugin = Load("init_counts");
        Assert.Equal(42, (int)plugin.Invoke(Call("ready")).Results[0].Bits);
        plugin.Invoke(Call("crash"));
        Assert.Equal(42, (int)plugin.Invoke(Call("ready")).Results[0].Bits);
    }

    [Fact]
    public void Load_CorruptArtifact_IsInvalidWasm()
    {
        var request = new LoadRequest { PluginId = "x", Artifact = [1, 2, 3, 4], MemoryLimitBytes = Limit, InitFuel = 1000, InitTimeoutMs = 1000 };
        var response = PluginModule.Load(engine, ticker, send, NullLogger.Instance, request, out var loaded);
        Assert.Null(loaded);
        Assert.Equal(ErrorKind.InvalidWasm, response.Error!.Kind);
    }

    internal static WireValue I32(int v) => new() { Type = PluginValueType.I32, Bits = v };

    internal static FunctionSignatureDto Sig(string name, PluginValueType[] p, PluginValueType[] r) => new() { Function = name, Params = p, Returns = r };

    private static InvokeRequest Call(string function, params WireValue[] args) => Call(function, args, 1_000_000, 1000);

    private static InvokeRequest Call(string function, WireValue[] args, long fuel = 1_000_000, long timeoutMs = 1000)
        => new() { Function = function, Args = args, Fuel = fuel, TimeoutMs = timeoutMs };

    private static InvokeRequest Call(string function, long timeoutMs, long fuel) => Call(function, [], fuel, timeoutMs);

    private PluginInstance Load(string fixture, params FunctionSignatureDto[] signatures)
    {
        var response = TryLoad(fixture, Limit, out var plugin, signatures);
        Assert.Null(response.Error);
        return plugin!;
    }

    private LoadResponse TryLoad(string fixture, long limit, out PluginInstance? plugin, params FunctionSignatureDto[] signatures)
    {
        using var module = Module.FromText(engine, fixture, Fixtures.Wat(fixture));
        var request = new LoadRequest { PluginId = fixture, Artifact = module.Serialize(), MemoryLimitBytes = limit, Signatures = signatures, InitFuel = 1_000_000, InitTimeoutMs = 1000 };
        var response = PluginModule.Load(engine, ticker, send, NullLogger.Instance, request, out var loaded);
        plugin = loaded?.TryRent();
        if (plugin is not null)
        {
            plugins.Add((loaded!, plugin));
        }

        return response;
    }
}

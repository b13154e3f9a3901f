using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Tests;
using SochDb.Isolated.Worker.Wasm;
using StreamJsonRpc;
using Wasmtime;

namespace SochDb.Isolated.Worker.Tests;

/// <summary>The worker's RPC surface over an in-memory duplex stream, for every wire format.</summary>
public sealed class WorkerServiceTests
{
    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    [InlineData(WireFormat.JsonHeaders)]
    public async Task Invoke_AfterHandshakeAndLoad_ReturnsResultsOverTheWire(WireFormat format)
    {
        var (client, service) = Connect(format);
        using (client)
        using (service)
        {
            var hello = await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
            Assert.Equal("secret", hello.Secret);
            Assert.Equal(new EngineSettings().ComputeHash(), hello.EngineSettingsHash);
            Assert.Equal(EngineFactory.WasmtimeVersion, hello.WasmtimeVersion);

            var load = await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor("basic", PluginInstanceTests.Sig("echo", [PluginValueType.Bytes], [PluginValueType.Bytes]))).DefaultTimeout();
            Assert.Null(load.Error);

            var add = await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest { Function = "add", Args = [PluginInstanceTests.I32(20), PluginInstanceTests.I32(22)], Fuel = 1000, TimeoutMs = 1000 }).DefaultTimeout();
            Assert.Equal(42, add.Results[0].Bits);

            var echo = await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest { Function = "echo", Args = [new WireValue { Type = PluginValueType.Bytes, Bytes = [1, 2, 3] }], Fuel = 100_000, TimeoutMs = 1000 }).DefaultTimeout();
            Assert.Equal(new byte[] { 1, 2, 3 }, echo.Results[0].Bytes);

            var trap = await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest { Function = "crash", Fuel = 1000, TimeoutMs = 1000 }).DefaultTimeout();
            Assert.Equal(ErrorKind.Trap, trap.Error!.Kind);
            Assert.Equal("Unreachable", trap.Error.TrapCode);

            var status = await client.InvokeAsync<WorkerStatus>(WorkerMethods.Status).DefaultTimeout();
            Assert.True(status.Loaded);
            Assert.Equal(1, status.Instantiations);
        }
    }

    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    public async Task InvokeBatch_RowsRunInOrder_ATrappingRowFailsAloneAndTheNextRowRunsInAFreshInstance(WireFormat format)
    {
        var (client, service) = await ConnectLoadedAsync(format);
        using (client)
        using (service)
        {
            var request = new InvokeBatchRequest
            {
                CallId = 7,
                Function = "divide",
                Rows = [[PluginInstanceTests.I32(10), PluginInstanceTests.I32(2)], [PluginInstanceTests.I32(1), PluginInstanceTests.I32(0)], [PluginInstanceTests.I32(9), PluginInstanceTests.I32(3)]],
                Fuel = 1000,
                FuelBudget = 1_000_000,
                TimeoutMs = 1000,
                BatchTimeoutMs = 3000,
            };
            var batch = await client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, request).DefaultTimeout();

            Assert.Equal(3, batch.Rows.Length);
            Assert.Equal(5, batch.Rows[0].Results[0].Bits);
            Assert.Equal(ErrorKind.Trap, batch.Rows[1].Error!.Kind);
            Assert.Null(batch.Rows[2].Error);
            Assert.Equal(3, batch.Rows[2].Results[0].Bits);
            Assert.True(batch.Rows[2].Reinstantiated);
            Assert.Equal(batch.Rows.Sum(r => r.FuelConsumed), batch.FuelConsumed);
        }
    }

    [Fact]
    public async Task InvokeBatch_PerRowFuelLimit_ExhaustsOnlyTheExpensiveRow()
    {
        var (client, service) = await ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var request = new InvokeBatchRequest
            {
                Function = "burn",
                Rows = [[PluginInstanceTests.I32(1)], [PluginInstanceTests.I32(1_000_000)], [PluginInstanceTests.I32(2)]],
                Fuel = 10_000,
                FuelBudget = long.MaxValue,
                TimeoutMs = 1000,
                BatchTimeoutMs = 3000,
            };
            var batch = await client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, request).DefaultTimeout();

            Assert.Null(batch.Rows[0].Error);
            Assert.Equal(ErrorKind.FuelExhausted, batch.Rows[1].Error!.Kind);
            Assert.Equal(7, batch.Rows[2].Results[0].Bits);
        }
    }

    [Fact]
    public async Task InvokeBatch_BatchFuelBudgetSpent_LaterRowsFailWithoutRunning()
    {
        var (client, service) = await ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var request = new InvokeBatchRequest
            {
                Function = "burn",
                Rows = [[PluginInstanceTests.I32(1_000_000)], [PluginInstanceTests.I32(1)], [PluginInstanceTests.I32(1)]],
                Fuel = 1_000_000_000,
                FuelBudget = 5_000,
                TimeoutMs = 1000,
                BatchTimeoutMs = 3000,
            };
            var batch = await client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, request).DefaultTimeout();

            Assert.Equal(ErrorKind.FuelExhausted, batch.Rows[0].Error!.Kind);
            Assert.All(batch.Rows.Skip(1), r => Assert.Equal(ErrorKind.FuelExhausted, r.Error!.Kind));
            Assert.All(batch.Rows.Skip(1), r => Assert.Equal(0, r.FuelConsumed));
            Assert.True(batch.FuelConsumed <= 5_000);
        }
    }

    [Fact]
    public async Task InvokeBatch_BatchTimeSpent_LaterRowsTimeOutWithoutRunning()
    {
        var (client, service) = await ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var request = new InvokeBatchRequest
            {
                Function = "spin",
                Rows = [[], [], [], [], [], []],
                Fuel = long.MaxValue / 4,
                FuelBudget = long.MaxValue,
                TimeoutMs = 200,
                BatchTimeoutMs = 300,
            };
            var batch = await client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, request).DefaultTimeout();

            Assert.All(batch.Rows, r => Assert.Equal(ErrorKind.Timeout, r.Error!.Kind));

            // The first row spends its 200 ms, the second the 100 ms left; the rest never start.
            Assert.Equal(0, batch.Rows[^1].DurationUs);
        }
    }

    [Fact]
    public async Task Handshake_OtherProtocolVersion_ReportsOwnVersionAndBuildsNoEngine()
    {
        var (client, service) = Connect(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var hello = await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version + 1 }).DefaultTimeout();
            Assert.Equal(ProtocolConstants.Version, hello.ProtocolVersion);
            var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor("basic"))).DefaultTimeout();
            Assert.Equal((int)ErrorKind.ProtocolError, ex.ErrorCode);
        }
    }

    [Fact]
    public async Task Load_Twice_IsRefused()
    {
        var (client, service) = Connect(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
            await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor("basic")).DefaultTimeout();
            var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor("basic"))).DefaultTimeout();
            Assert.Contains("exactly one plugin", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Shutdown_Requested_CompletesShutdownTask()
    {
        var (client, service) = Connect(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            await client.InvokeAsync(WorkerMethods.Shutdown).DefaultTimeout();
            await service.ShutdownRequested.DefaultTimeout();
        }
    }

    private static async Task<(JsonRpc Client, WorkerService Service)> ConnectLoadedAsync(WireFormat format)
    {
        var (client, service) = Connect(format);
        await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
        var load = await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor("basic")).DefaultTimeout();
        Assert.Null(load.Error);
        return (client, service);
    }

    private static LoadRequest LoadRequestFor(string fixture, params FunctionSignatureDto[] signatures)
    {
        using var engine = EngineFactory.Create(new EngineSettings());
        using var module = Module.FromText(engine, fixture, Fixtures.Wat(fixture));
        return new LoadRequest { PluginId = fixture, Artifact = module.Serialize(), MemoryLimitBytes = 1 << 20, Signatures = signatures, InitFuel = 100_000, InitTimeoutMs = 1000 };
    }

    private static (JsonRpc Client, WorkerService Service) Connect(WireFormat format)
    {
        var (a, b) = FullDuplexStream.CreatePair();
        var service = new WorkerService("secret", NullLogger.Instance);
        var server = RpcChannel.Create(b, format);
        server.AddLocalRpcTarget(service);
        server.StartListening();
        var client = RpcChannel.Create(a, format);
        client.StartListening();
        return (client, service);
    }
}

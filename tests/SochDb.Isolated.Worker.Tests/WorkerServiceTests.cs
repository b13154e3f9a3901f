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

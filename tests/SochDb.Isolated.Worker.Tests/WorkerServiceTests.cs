using System.Collections.Concurrent;
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
    // Each instance has its own counter; wait_count blocks in a host call (answered when the test says so) and then
    // counts, so its result shows which instance's state it ran on.
    private const string SlotsWat = """
        (module
          (import "sochdb" "log" (func $log (param i32 i32 i32)))
          (memory (export "memory") 1)
          (global $counter (mut i32) (i32.const 0))
          (data (i32.const 16) "wait")
          (func $count (export "count") (result i32)
            global.get $counter i32.const 1 i32.add global.set $counter global.get $counter)
          (func (export "wait_count") (result i32)
            i32.const 1 i32.const 16 i32.const 4 call $log
            call $count)
          (func (export "crash") unreachable))
        """;

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

    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    public async Task Invoke_TwoCallsWithMaxInstancesTwo_RunInParallel(WireFormat format)
    {
        var host = new BlockingHost(expected: 2);
        var (client, service) = await ConnectSlotsAsync(format, maxInstances: 2, host);
        using (client)
        using (service)
        {
            var first = client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("wait_count", 1));
            var second = client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("wait_count", 2));
            try
            {
                // Both calls sit in a host call at the same time: each runs on an instance of its own.
                await host.AllEntered.DefaultTimeout();
                Assert.Equal([1L, 2L], host.CallIds.Order());
                var status = await client.InvokeAsync<WorkerStatus>(WorkerMethods.Status).DefaultTimeout();
                Assert.Equal(2, status.Instances);
                Assert.Equal(2, status.Instantiations);
            }
            finally
            {
                host.Release();
            }

            var responses = await Task.WhenAll(first, second).DefaultTimeout();
            Assert.All(responses, r => Assert.Null(r.Error));
            Assert.All(responses, r => Assert.Equal(1, r.HostCalls));

            // Separate stores: each instance counted from its own zero.
            Assert.All(responses, r => Assert.Equal(1, r.Results[0].Bits));
            Assert.All(responses, r => Assert.False(r.Reinstantiated));
        }
    }

    [Fact]
    public async Task Invoke_MoreCallsThanMaxInstances_ProtocolError()
    {
        var host = new BlockingHost(expected: 1);
        var (client, service) = await ConnectSlotsAsync(WireFormat.MessagePackLengthPrefixed, maxInstances: 1, host);
        using (client)
        using (service)
        {
            var running = client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("wait_count", 1));
            try
            {
                await host.AllEntered.DefaultTimeout();
                var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("count", 2))).DefaultTimeout();
                Assert.Equal((int)ErrorKind.ProtocolError, ex.ErrorCode);
                Assert.Contains("all 1 instance(s)", ex.Message, StringComparison.Ordinal);
                var batch = new InvokeBatchRequest { CallId = 3, Function = "count", Rows = [[]], Fuel = 1000, FuelBudget = 1000, TimeoutMs = 1000, BatchTimeoutMs = 1000 };
                var batchEx = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, batch)).DefaultTimeout();
                Assert.Equal((int)ErrorKind.ProtocolError, batchEx.ErrorCode);
            }
            finally
            {
                host.Release();
            }

            // The refused calls disturbed nothing: the running call finishes, and the instance serves the next one.
            Assert.Equal(1, (await running.DefaultTimeout()).Results[0].Bits);
            var next = await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("count", 4)).DefaultTimeout();
            Assert.Equal(2, next.Results[0].Bits);
        }
    }

    [Fact]
    public async Task Invoke_TrapInOneInstance_OtherInstanceKeepsItsState()
    {
        var host = new BlockingHost(expected: 1);
        var (client, service) = await ConnectSlotsAsync(WireFormat.MessagePackLengthPrefixed, maxInstances: 2, host);
        using (client)
        using (service)
        {
            // With no overlap every call runs on the first instance.
            Assert.Equal(1, (await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("count", 1)).DefaultTimeout()).Results[0].Bits);
            Assert.Equal(2, (await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("count", 2)).DefaultTimeout()).Results[0].Bits);

            var blocked = client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("wait_count", 3));
            try
            {
                // The first instance is busy, so these run on a second one: it traps and starts over.
                await host.AllEntered.DefaultTimeout();
                var trap = await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("crash", 4)).DefaultTimeout();
                Assert.Equal(ErrorKind.Trap, trap.Error!.Kind);
                Assert.True(trap.Reinstantiated);
                var fresh = await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, SlotCall("count", 5)).DefaultTimeout();
                Assert.Equal(1, fresh.Results[0].Bits);
                Assert.True(fresh.Reinstantiated);
            }
            finally
            {
                host.Release();
            }

            // The first instance's counter went on from 2: the trap next door did not touch it.
            var survivor = await blocked.DefaultTimeout();
            Assert.Null(survivor.Error);
            Assert.Equal(3, survivor.Results[0].Bits);
            var status = await client.InvokeAsync<WorkerStatus>(WorkerMethods.Status).DefaultTimeout();
            Assert.Equal(2, status.Instances);
            Assert.Equal(3, status.Instantiations);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(PluginModule.MaxInstancesLimit + 1)]
    public async Task Load_MaxInstancesOutOfRange_Error(int maxInstances)
    {
        var (client, service) = Connect(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
            var request = LoadRequestFor("basic");
            request.MaxInstances = maxInstances;
            var load = await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, request).DefaultTimeout();
            Assert.Equal(ErrorKind.InvalidArguments, load.Error!.Kind);
            Assert.Contains("between 1 and 64", load.Error.Message, StringComparison.Ordinal);
            var status = await client.InvokeAsync<WorkerStatus>(WorkerMethods.Status).DefaultTimeout();
            Assert.False(status.Loaded);
        }
    }

    [Fact]
    public async Task Load_MaxInstancesAtLimit_LoadsOneInstanceUntilCallsOverlap()
    {
        var (client, service) = Connect(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
            var request = LoadRequestFor("basic");
            request.MaxInstances = PluginModule.MaxInstancesLimit;
            Assert.Null((await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, request).DefaultTimeout()).Error);
            await client.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest { Function = "add", Args = [PluginInstanceTests.I32(1), PluginInstanceTests.I32(2)], Fuel = 1000, TimeoutMs = 1000 }).DefaultTimeout();
            var status = await client.InvokeAsync<WorkerStatus>(WorkerMethods.Status).DefaultTimeout();
            Assert.Equal(1, status.Instances);
            Assert.Equal(65536, status.MemoryBytes);
        }
    }

    private static InvokeRequest SlotCall(string function, long callId)
        => new() { CallId = callId, Function = function, Fuel = 1_000_000, TimeoutMs = (long)TestTimeouts.Unexpected.TotalMilliseconds };

    private static async Task<(JsonRpc Client, WorkerService Service)> ConnectSlotsAsync(WireFormat format, int maxInstances, BlockingHost host)
    {
        var (client, service) = Connect(format, rpc => rpc.AddLocalRpcMethod(WorkerMethods.HostCall, new Func<HostCallRequest, Task<HostCallResponse>>(host.HostCallAsync)));
        await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
        using var engine = EngineFactory.Create(new EngineSettings());
        using var module = Module.FromText(engine, "slots", SlotsWat);
        var request = new LoadRequest { PluginId = "slots", Artifact = module.Serialize(), MemoryLimitBytes = 1 << 20, InitFuel = 100_000, InitTimeoutMs = 1000, MaxInstances = maxInstances };
        var load = await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, request).DefaultTimeout();
        Assert.Null(load.Error);
        return (client, service);
    }

    [Fact]
    public async Task Prewarm_WorkerWithoutPlugin_RunsAndLeavesItEmpty()
    {
        var (client, service) = Connect(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();

            var spent = await client.InvokeAsync<long>(WorkerMethods.Prewarm).DefaultTimeout();

            Assert.True(spent > 0);
            Assert.False((await client.InvokeAsync<WorkerStatus>(WorkerMethods.Status).DefaultTimeout()).Loaded);
            var load = await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor("basic")).DefaultTimeout();
            Assert.Null(load.Error);
        }
    }

    [Fact]
    public async Task Prewarm_AfterLoad_ProtocolError()
    {
        var (client, service) = await ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<long>(WorkerMethods.Prewarm)).DefaultTimeout();
            Assert.Equal((int)ErrorKind.ProtocolError, ex.ErrorCode);
        }
    }

    internal static Task<(JsonRpc Client, WorkerService Service)> ConnectLoadedAsync(WireFormat format, params FunctionSignatureDto[] signatures)
        => ConnectLoadedAsync(format, "basic", signatures);

    internal static async Task<(JsonRpc Client, WorkerService Service)> ConnectLoadedAsync(WireFormat format, string fixture, params FunctionSignatureDto[] signatures)
    {
        var (client, service) = Connect(format);
        await client.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
        var load = await client.InvokeAsync<LoadResponse>(WorkerMethods.Load, LoadRequestFor(fixture, signatures)).DefaultTimeout();
        Assert.Null(load.Error);
        return (client, service);
    }

    private static LoadRequest LoadRequestFor(string fixture, params FunctionSignatureDto[] signatures)
    {
        using var engine = EngineFactory.Create(new EngineSettings());
        using var module = Module.FromText(engine, fixture, Fixtures.Wat(fixture));
        return new LoadRequest { PluginId = fixture, Artifact = module.Serialize(), MemoryLimitBytes = 1 << 20, Signatures = signatures, InitFuel = 100_000, InitTimeoutMs = 1000 };
    }

    private static (JsonRpc Client, WorkerService Service) Connect(WireFormat format, Action<JsonRpc>? configureClient = null)
    {
        var (a, b) = FullDuplexStream.CreatePair();
        var service = new WorkerService("secret", NullLogger.Instance);
        var server = RpcChannel.Create(b, format);
        service.AttachChannel(server);
        server.AddLocalRpcTarget(service);
        server.StartListening();
        var client = RpcChannel.Create(a, format);
        configureClient?.Invoke(client);
        client.StartListening();
        return (client, service);
    }

    /// <summary>Stands in for the supervisor's host-call handler: holds every host call until the test releases them.</summary>
    private sealed class BlockingHost(int expected)
    {
        private readonly TaskCompletionSource allEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<long> callIds = new();

        public Task AllEntered => allEntered.Task;

        public IEnumerable<long> CallIds => callIds;

        public void Release() => released.TrySetResult();

        public async Task<HostCallResponse> HostCallAsync(HostCallRequest request)
        {
            callIds.Enqueue(request.CallId);
            if (callIds.Count == expected)
            {
                allEntered.TrySetResult();
            }

            await released.Task.WaitAsync(TestTimeouts.Unexpected);
            return new HostCallResponse { Status = 0 };
        }
    }
}

using System.Diagnostics;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Workers;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.NativeWorker;

/// <summary>
/// The Native AOT worker (<c>eng/publish-native-worker.sh</c>) against real supervisors: the paths that differ from the
/// framework-dependent worker — JSON wire with generated metadata only, RPC target metadata, Wasmtime's typed host
/// callbacks without a JIT — and its refusal of MessagePack. The whole suite runs against it with
/// <c>SOCHDB_TEST_WORKER</c> (see docs/benchmarks.md).
/// </summary>
public sealed class NativeWorkerTests : SupervisorTestBase
{
    private const string EchoSignature = "[exports]\nfunctions = [\"echo\"]\n[exports.signatures.echo]\nparams = [\"bytes\"]\nreturns = [\"bytes\"]";

    [SkippableFact]
    public async Task LoadAsync_NativeWorker_SpeaksJsonAndCarriesEveryValueType()
    {
        var path = await NativeWorkerPathAsync();
        var supervisor = CreateSupervisor(o => o.WorkerPath = path);
        var info = await supervisor.LoadAsync("n", Fixtures.Wasm("basic"), Manifest(EchoSignature)).DefaultTimeout();
        Assert.True(WorkerLauncher.IsNativeAot(path));
        Assert.Equal(3, (await supervisor.InvokeAsync("n", "add", [PluginValue.I32(1), PluginValue.I32(2)])).Values[0].AsI32());
        Assert.Equal(long.MinValue + 5, (await supervisor.InvokeAsync("n", "add64", [PluginValue.I64(long.MinValue), PluginValue.I64(5)])).Values[0].AsI64());
        Assert.Equal(-0.75f, (await supervisor.InvokeAsync("n", "mulf32", [PluginValue.F32(0.5f), PluginValue.F32(-1.5f)])).Values[0].AsF32());
        Assert.Equal(double.PositiveInfinity, (await supervisor.InvokeAsync("n", "mulf64", [PluginValue.F64(double.MaxValue), PluginValue.F64(10)])).Values[0].AsF64());
        var bytes = Encoding.UTF8.GetBytes("binary\0payload");
        Assert.Equal(bytes, (await supervisor.InvokeAsync("n", "echo", [PluginValue.Bytes(bytes)])).Values[0].AsBytes()!.Value.ToArray());
        var batch = await supervisor.InvokeBatchAsync("n", "add", [[PluginValue.I32(1), PluginValue.I32(1)], [PluginValue.I32(2), PluginValue.I32(2)]]).DefaultTimeout();
        Assert.Equal([2, 4], batch.Rows.Select(r => r.Values[0].AsI32()));

        // The worker really is the native executable, not a dotnet host running a .dll.
        using var worker = Process.GetProcessById(info.WorkerPid!.Value);
        Assert.Equal(path, worker.MainModule!.FileName);
    }

    [SkippableFact]
    public async Task InvokeAsync_NativeWorkerHostCalls_AreCheckedAndExecuted()
    {
        var path = await NativeWorkerPathAsync();
        var supervisor = CreateSupervisor(o => o.WorkerPath = path);
        await supervisor.LoadAsync("p", Fixtures.Wasm("host"), Manifest(HostFunctionTests.Grants, resources: HostFunctionTests.Roomy)).DefaultTimeout();
        var put = await supervisor.InvokeAsync("p", "put", [PluginValue.I64(7), PluginValue.Bytes("row seven"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.Ok, put.Values[0].AsI32());
        var get = await supervisor.InvokeAsync("p", "get", [PluginValue.I64(7)]).DefaultTimeout();
        Assert.Equal("row seven", Encoding.UTF8.GetString(get.Values[0].AsBytes()!.Value.Span));
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("p", "steal", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI64());
    }

    [SkippableFact]
    public async Task InvokeAsync_NativeWorkerOnTheDirectLane_CarriesCallsBuffersAndHostCalls()
    {
        var path = await NativeWorkerPathAsync();
        var supervisor = CreateSupervisor(o => (o.WorkerPath, o.DirectCalls) = (path, true));
        await supervisor.LoadAsync("n", Fixtures.Wasm("basic"), Manifest(EchoSignature)).DefaultTimeout();
        await supervisor.LoadAsync("p", Fixtures.Wasm("host"), Manifest(HostFunctionTests.Grants, resources: HostFunctionTests.Roomy)).DefaultTimeout();

        Assert.Equal(3, (await supervisor.InvokeAsync("n", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI32());
        var bytes = Encoding.UTF8.GetBytes("lane\0payload");
        Assert.Equal(bytes, (await supervisor.InvokeAsync("n", "echo", [PluginValue.Bytes(bytes)]).DefaultTimeout()).Values[0].AsBytes()!.Value.ToArray());
        Assert.Equal(HostStatus.Ok, (await supervisor.InvokeAsync("p", "put", [PluginValue.I64(7), PluginValue.Bytes("row seven"u8)]).DefaultTimeout()).Values[0].AsI32());
        var get = await supervisor.InvokeAsync("p", "get", [PluginValue.I64(7)]).DefaultTimeout();

        // The native build's lane speaks JSON from generated metadata only, like its channel.
        Assert.Equal("row seven", Encoding.UTF8.GetString(get.Values[0].AsBytes()!.Value.Span));
        Assert.Equal(4, Logs.Entries.Count(e => e.EventId.Id == 1024));
    }

    [SkippableFact]
    public async Task InvokeAsync_NativeWorkerLimits_StopSpinAndBombAndSurviveCrash()
    {
        var path = await NativeWorkerPathAsync();
        var supervisor = CreateSupervisor(o => o.WorkerPath = path);
        await supervisor.LoadAsync("n", Fixtures.Wasm("basic"), Manifest(resources: SpinResources)).DefaultTimeout();
        var timeout = await Assert.ThrowsAnyAsync<PluginException>(() => supervisor.InvokeAsync("n", "spin", [])).DefaultTimeout();
        Assert.Equal(ErrorKind.Timeout, timeout.Kind);
        var bomb = await Assert.ThrowsAnyAsync<PluginException>(() => supervisor.InvokeAsync("n", "bomb", [])).DefaultTimeout();
        Assert.Equal(ErrorKind.MemoryLimitExceeded, bomb.Kind);
        var trap = await Assert.ThrowsAnyAsync<PluginException>(() => supervisor.InvokeAsync("n", "crash", [])).DefaultTimeout();
        Assert.Equal(ErrorKind.Trap, trap.Kind);
        Assert.Equal(3, (await supervisor.InvokeAsync("n", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI32());
    }

    [SkippableFact]
    public async Task Constructor_MessagePackWithNativeWorker_ThrowsNamingTheWireFormat()
    {
        var path = await NativeWorkerPathAsync();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CreateSupervisor(o =>
        {
            o.WorkerPath = path;
            o.WireFormat = WireFormat.MessagePackLengthPrefixed;
        }));
        Assert.Contains("Native AOT", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(PluginSupervisorOptions.WireFormat), ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Worker_NativeAskedForMessagePack_ExitsWithUnsupportedWire()
    {
        using var worker = Start(await NativeWorkerPathAsync());
        try
        {
            await worker.StandardInput.WriteLineAsync(new WorkerBootstrap { PipeName = "never-connected", Secret = "s", Wire = WireFormat.MessagePackLengthPrefixed }.ToJsonLine());
            worker.StandardInput.Close();
            var stderr = worker.StandardError.ReadToEndAsync();
            await worker.WaitForExitAsync().DefaultTimeout();
            Assert.Equal((int)WorkerExitCode.UnsupportedWire, worker.ExitCode);
            Assert.Contains("MessagePackLengthPrefixed", await stderr.DefaultTimeout(), StringComparison.Ordinal);
        }
        finally
        {
            Kill(worker);
        }
    }

    [SkippableFact]
    public async Task Worker_NativeCallBeforeHandshake_IsRefusedAsARemoteError()
    {
        // The error reply is StreamJsonRpc's own message: it must be writable with the native build's metadata.
        var (server, worker) = await StartConnectedAsync();
        await using var channel = server;
        using var process = worker;
        try
        {
            using var rpc = RpcChannel.Create(server, WireFormat.JsonLengthPrefixed);
            rpc.StartListening();
            var ex = await Assert.ThrowsAsync<StreamJsonRpc.RemoteInvocationException>(() => rpc.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest { Function = "add" })).DefaultTimeout();
            Assert.Equal((int)ErrorKind.ProtocolError, ex.ErrorCode);
            var hello = await rpc.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
            Assert.Equal("s3cret", hello.Secret);
        }
        finally
        {
            Kill(worker);
        }
    }

    [SkippableFact]
    public async Task Worker_NativeChannelClosed_ExitsWithParentLost()
    {
        var (server, worker) = await StartConnectedAsync();
        await using var channel = server;
        using var process = worker;
        try
        {
            using (var rpc = RpcChannel.Create(server, WireFormat.JsonLengthPrefixed))
            {
                rpc.StartListening();
                var hello = await rpc.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
                Assert.Equal(worker.Id, hello.WorkerPid);
            }

            // Nothing but the closed channel tells the worker to go.
            await worker.WaitForExitAsync().DefaultTimeout();
            Assert.Equal((int)WorkerExitCode.ParentLost, worker.ExitCode);
        }
        finally
        {
            Kill(worker);
        }
    }

    /// <summary>Publishes the native worker once per test run (its own folder: a benchmark may be using artifacts/native-worker).</summary>
    private static readonly Lazy<Task<Engineering.NativeWorkerPublishResult>> Published =
        new(() => Engineering.NativeWorkerPublisher.PublishAsync(Path.Combine("artifacts", "native-worker-tests"), TimeSpan.FromMinutes(10)));

    private static async Task<string> NativeWorkerPathAsync()
    {
        var published = await Published.Value.WaitAsync(TimeSpan.FromMinutes(11));
        Skip.If(published.Unavailability is not null, published.Unavailability);
        Assert.True(published.Failure is null, published.Failure);
        return published.WorkerPath!;
    }

    /// <summary>Starts the native worker bootstrapped on JSON to a fresh pipe (secret <c>s3cret</c>) and waits until it connects.</summary>
    private static async Task<(System.IO.Pipes.NamedPipeServerStream Server, Process Worker)> StartConnectedAsync()
    {
        var path = await NativeWorkerPathAsync();
        var pipeName = "sochdb-test-" + Guid.NewGuid().ToString("N");
        var server = new System.IO.Pipes.NamedPipeServerStream(pipeName, System.IO.Pipes.PipeDirection.InOut, 1, System.IO.Pipes.PipeTransmissionMode.Byte, System.IO.Pipes.PipeOptions.Asynchronous | System.IO.Pipes.PipeOptions.CurrentUserOnly);
        var worker = Start(path);
        try
        {
            await worker.StandardInput.WriteLineAsync(new WorkerBootstrap { PipeName = pipeName, Secret = "s3cret", Wire = WireFormat.JsonLengthPrefixed }.ToJsonLine());
            worker.StandardInput.Close();
            await server.WaitForConnectionAsync().DefaultTimeout();
            return (server, worker);
        }
        catch
        {
            Kill(worker);
            worker.Dispose();
            await server.DisposeAsync();
            throw;
        }
    }

    private static Process Start(string path)
    {
        var info = new ProcessStartInfo(path) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        return Process.Start(info)!;
    }

    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }
}

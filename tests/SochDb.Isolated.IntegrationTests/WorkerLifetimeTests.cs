using System.Diagnostics;
using System.IO.Pipes;
using System.Security.Cryptography;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Tests;
using StreamJsonRpc;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>The worker process on its own: it talks only over its private pipe and dies with its channel.</summary>
public sealed class WorkerLifetimeTests
{
    [Fact]
    public async Task Worker_ChannelClosedBySupervisor_ExitsWithParentLost()
    {
        var pipeName = "sochdb-test-" + Guid.NewGuid().ToString("N");
        await using var server = new NamedPipeServerStream(pipeName, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        using var worker = StartWorker();
        try
        {
            await worker.StandardInput.WriteLineAsync(new WorkerBootstrap { PipeName = pipeName, Secret = "s3cret" }.ToJsonLine());
            worker.StandardInput.Close();
            await server.WaitForConnectionAsync().DefaultTimeout();
            using (var rpc = RpcChannel.Create(server, WireFormat.MessagePackLengthPrefixed))
            {
                rpc.StartListening();
                var hello = await rpc.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version }).DefaultTimeout();
                Assert.Equal("s3cret", hello.Secret);
                Assert.Equal(worker.Id, hello.WorkerPid);
            }

            // Nothing but the closed channel tells the worker to go.
            var watch = Stopwatch.StartNew();
            await worker.WaitForExitAsync().DefaultTimeout();
            Assert.Equal((int)WorkerExitCode.ParentLost, worker.ExitCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"worker took {watch.Elapsed} to notice");
        }
        finally
        {
            Kill(worker);
        }
    }

    [Fact]
    public async Task Worker_BadBootstrap_ExitsWithBadBootstrapAndWritesNothingToStdout()
    {
        using var worker = StartWorker();
        try
        {
            await worker.StandardInput.WriteLineAsync("{not json");
            worker.StandardInput.Close();
            var stdout = worker.StandardOutput.ReadToEndAsync();
            await worker.WaitForExitAsync().DefaultTimeout();
            Assert.Equal((int)WorkerExitCode.BadBootstrap, worker.ExitCode);
            Assert.Equal(string.Empty, await stdout.DefaultTimeout());
        }
        finally
        {
            Kill(worker);
        }
    }

    [Fact]
    public async Task Worker_CallsBeforeHandshake_AreRefused()
    {
        var pipeName = "sochdb-test-" + Guid.NewGuid().ToString("N");
        await using var server = new NamedPipeServerStream(pipeName, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        using var worker = StartWorker();
        try
        {
            await worker.StandardInput.WriteLineAsync(new WorkerBootstrap { PipeName = pipeName, Secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)), Wire = WireFormat.JsonHeaders }.ToJsonLine());
            worker.StandardInput.Close();
            await server.WaitForConnectionAsync().DefaultTimeout();
            using var rpc = RpcChannel.Create(server, WireFormat.JsonHeaders);
            rpc.StartListening();
            var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => rpc.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest { Function = "add" })).DefaultTimeout();
            Assert.Equal((int)ErrorKind.ProtocolError, ex.ErrorCode);
            Assert.Contains("handshake", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Kill(worker);
        }
    }

    [Fact]
    public async Task StartAsync_MessagePackForANativeWorker_FailsTypedWithoutStartingIt()
    {
        // An executable with no .dll beside it is taken for the Native AOT worker, which cannot speak MessagePack; the
        // file can change after the supervisor checked it, so a start checks again and fails with a typed error.
        var folder = Directory.CreateTempSubdirectory("sochdb-native-");
        try
        {
            var native = Path.Combine(folder.FullName, "SochDb.Isolated.Worker");
            await File.WriteAllTextAsync(native, string.Empty);
            var options = new SochDb.Isolated.Supervisor.PluginSupervisorOptions { WireFormat = WireFormat.MessagePackLengthPrefixed };

            await using var isolation = SochDb.Isolated.Supervisor.Isolation.WorkerIsolationFactory.Create(options.Isolation, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

            var error = await Assert.ThrowsAsync<SochDb.Isolated.Supervisor.PluginException>(() => StartWorkerProcessAsync("native-test", native, options, isolation)).DefaultTimeout();

            Assert.Equal(ErrorKind.SandboxFailed, error.Kind);
            Assert.Contains("Native AOT", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_OnceConnected_RemovesTheSocketFile()
    {
        var options = new SochDb.Isolated.Supervisor.PluginSupervisorOptions();
        await using var isolation = SochDb.Isolated.Supervisor.Isolation.WorkerIsolationFactory.Create(options.Isolation, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var worker = await StartWorkerProcessAsync("socket-test", SochDb.Isolated.Supervisor.Workers.WorkerLauncher.Resolve(null), options, isolation).DefaultTimeout();
        try
        {
            Assert.NotNull(worker.SocketPath);
            Assert.StartsWith(Path.GetTempPath(), worker.SocketPath, StringComparison.Ordinal);
            Assert.False(File.Exists(worker.SocketPath), $"{worker.SocketPath} is still there");
            var status = await worker.GetStatusAsync(TimeSpan.FromSeconds(10)).DefaultTimeout();
            Assert.False(status.Loaded);
        }
        finally
        {
            await worker.StopAsync(TimeSpan.FromSeconds(5)).DefaultTimeout();
        }
    }

    /// <summary>Starts a worker the way the supervisor does (handshake included), with no plugin and no host functions.</summary>
    private static Task<SochDb.Isolated.Supervisor.Workers.WorkerProcess> StartWorkerProcessAsync(string name, string workerPath, SochDb.Isolated.Supervisor.PluginSupervisorOptions options, SochDb.Isolated.Supervisor.Isolation.IWorkerIsolation isolation)
    {
        var settings = new EngineSettings();
        return SochDb.Isolated.Supervisor.Workers.WorkerProcess.StartAsync(
            name,
            workerPath,
            options,
            settings,
            settings.ComputeHash(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            (_, _) => Task.FromResult(new HostCallResponse()),
            isolation,
            new SochDb.Isolated.Supervisor.Isolation.WorkerLimits(512L << 20, 128, 1.0),
            CancellationToken.None);
    }

    private static Process StartWorker()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SochDb.Isolated.Worker.dll"));
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

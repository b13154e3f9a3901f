using System.Diagnostics;
using System.IO.Pipes;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Workers;
using SochDb.Isolated.Tests;
using StreamJsonRpc;

namespace SochDb.Isolated.IntegrationTests.Hardening;

/// <summary>
/// A real worker started exactly as the supervisor starts one (<see cref="WorkerLauncher"/>, the plan's launch
/// chain, a bootstrap carrying the plan's worker request) and driven over its channel by the test. Killed and
/// awaited on dispose.
/// </summary>
internal sealed class HardenedWorker : IAsyncDisposable
{
    private readonly List<string> stderr = [];

    private HardenedWorker(Process process, NamedPipeServerStream pipe)
    {
        Process = process;
        Pipe = pipe;
    }

    public Process Process { get; }

    public NamedPipeServerStream Pipe { get; }

    public int Pid => Process.Id;

    public JsonRpc? Rpc { get; private set; }

    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return string.Join(Environment.NewLine, stderr);
            }
        }
    }

    /// <summary>Starts a worker and waits until it has connected.</summary>
    public static async Task<HardenedWorker> ConnectAsync(HardeningPlan plan, WorkerHardeningRequest? request = null)
    {
        var pipeName = "sochdb-harden-" + Guid.NewGuid().ToString("N");
        var pipe = new NamedPipeServerStream(pipeName, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        var info = WorkerLauncher.CreateStartInfo(WorkerLauncher.Resolve(null), new PluginSupervisorOptions(), plan, NullLogger.Instance);
        var worker = new HardenedWorker(Process.Start(info)!, pipe);
        try
        {
            worker.Process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (worker.stderr)
                    {
                        worker.stderr.Add(e.Data);
                    }
                }
            };
            worker.Process.OutputDataReceived += (_, _) => { };
            worker.Process.BeginErrorReadLine();
            worker.Process.BeginOutputReadLine();
            var bootstrap = new WorkerBootstrap
            {
                PipeName = pipeName,
                Secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                Wire = WireFormat.MessagePackLengthPrefixed,
                LogLevel = 1,
                Hardening = request ?? plan.WorkerRequest,
            };
            await worker.Process.StandardInput.WriteLineAsync(bootstrap.ToJsonLine());
            worker.Process.StandardInput.Close();
            var connect = pipe.WaitForConnectionAsync();
            var exited = worker.Process.WaitForExitAsync();
            if (await Task.WhenAny(connect, exited).DefaultTimeout() != connect)
            {
                throw new InvalidOperationException($"the worker exited with {worker.Process.ExitCode} before connecting: {worker.Stderr}");
            }

            await connect;
            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a worker and completes the handshake.</summary>
    public static async Task<(HardenedWorker Worker, HandshakeResponse Response)> StartAsync(HardeningPlan plan)
    {
        var worker = await ConnectAsync(plan);
        try
        {
            worker.Rpc = RpcChannel.Create(worker.Pipe, WireFormat.MessagePackLengthPrefixed);
            worker.Rpc.StartListening();
            var request = new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version, Engine = new EngineSettings(), SupervisorPid = Environment.ProcessId };
            var response = await worker.Rpc.InvokeAsync<HandshakeResponse>(WorkerMethods.Handshake, request).DefaultTimeout();
            return (worker, response);
        }
        catch (Exception ex) when (ex is ConnectionLostException or RemoteInvocationException)
        {
            var stderrText = worker.Stderr;
            await worker.DisposeAsync();
            throw new InvalidOperationException($"the worker broke the handshake: {ex.Message}; stderr: {stderrText}", ex);
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Rpc?.Dispose();
        try
        {
            Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await Process.WaitForExitAsync().DefaultTimeout();
        await Pipe.DisposeAsync();
        Process.Dispose();
    }
}

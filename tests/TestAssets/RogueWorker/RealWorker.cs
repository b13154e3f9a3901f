using System.IO.Pipes;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Worker;
using SochDb.Isolated.Worker.Logging;
using StreamJsonRpc;

namespace SochDb.Isolated.RogueWorker;

/// <summary>Runs the real worker's service (its sources are linked into this project), as src/Worker/Program.cs does.</summary>
internal static class RealWorker
{
    public static async Task<int> RunAsync(NamedPipeClientStream pipe, WorkerBootstrap bootstrap, System.Net.Sockets.Socket? lane)
    {
        var level = (LogLevel)bootstrap.LogLevel;
        using var loggerFactory = LoggerFactory.Create(b => b.ClearProviders().SetMinimumLevel(level).AddProvider(new StderrLoggerProvider(level, Console.Error)));
        using var service = new WorkerService(bootstrap.Secret, loggerFactory.CreateLogger("SochDb.Isolated.Worker"));
        using var rpc = RpcChannel.Create(pipe, bootstrap.Wire);
        service.AttachChannel(rpc);
        rpc.AddLocalRpcTarget(service, new JsonRpcTargetOptions { AllowNonPublicInvocation = false });
        rpc.StartListening();
        if (lane is not null)
        {
            new SochDb.Isolated.Worker.Direct.DirectLaneServer(lane, bootstrap.Wire, service, loggerFactory.CreateLogger("SochDb.Isolated.Worker"), bootstrap.LaneSpinMicroseconds).Start();
        }
        if (await Task.WhenAny(rpc.Completion, service.ShutdownRequested) != service.ShutdownRequested)
        {
            return (int)WorkerExitCode.ParentLost;
        }

        await Task.WhenAny(rpc.Completion, Task.Delay(TimeSpan.FromSeconds(2)));
        return (int)WorkerExitCode.Success;
    }
}

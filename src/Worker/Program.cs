using System.Diagnostics.CodeAnalysis;
using System.IO.Pipes;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Worker;
using SochDb.Isolated.Worker.Hardening;
using SochDb.Isolated.Worker.Logging;
using StreamJsonRpc;

// The worker's standard output is never written: the channel is a private pipe, and stray output from native code
// must not be able to corrupt it. Logs go to standard error, which the supervisor re-logs under the plugin's id.
var bootstrapLine = await ReadBootstrapAsync().ConfigureAwait(false);
if (!WorkerBootstrap.TryParse(bootstrapLine, out var bootstrap))
{
    await Console.Error.WriteLineAsync(StderrLoggerProvider.FormatLine(LogLevel.Critical, "missing or malformed bootstrap line on standard input")).ConfigureAwait(false);
    return (int)WorkerExitCode.BadBootstrap;
}

using var loggerFactory = LoggerFactory.Create(builder =>
{
    builder.ClearProviders();
    builder.SetMinimumLevel((LogLevel)bootstrap.LogLevel);
    builder.AddProvider(new StderrLoggerProvider((LogLevel)bootstrap.LogLevel, Console.Error));
});
var logger = loggerFactory.CreateLogger("SochDb.Isolated.Worker");
if (!RpcChannel.IsSupported(bootstrap.Wire))
{
    WorkerLog.StartupFailed(logger, $"this worker build cannot speak the {bootstrap.Wire} wire format (a Native AOT worker speaks {WireFormat.JsonLengthPrefixed} and {WireFormat.JsonHeaders}); set the supervisor's WireFormat accordingly");
    return (int)WorkerExitCode.UnsupportedWire;
}

// Limits first, while nothing but trusted runtime code has run: a worker that cannot apply what it was asked for
// refuses to go on rather than run plugins without it.
if (!WorkerHardener.TryApplyBeforeConnect(bootstrap.Hardening, out var hardeningError))
{
    WorkerHardeningLog.HardeningFailed(logger, hardeningError!);
    return (int)WorkerExitCode.HardeningFailed;
}

var pipe = new NamedPipeClientStream(".", bootstrap.PipeName, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
try
{
    using var connectBudget = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await pipe.ConnectAsync(connectBudget.Token).ConfigureAwait(false);
}
catch (Exception ex) when (ex is OperationCanceledException or IOException or UnauthorizedAccessException or TimeoutException)
{
    WorkerLog.StartupFailed(logger, $"cannot connect to pipe '{bootstrap.PipeName}': {ex.Message}");
    await pipe.DisposeAsync().ConfigureAwait(false);
    return (int)WorkerExitCode.ConnectFailed;
}

// The direct call lane, when asked for, is connected while the worker still runs as the user that can reach it.
System.Net.Sockets.Socket? lane = null;
if (bootstrap.LanePath is { } lanePath)
{
    try
    {
        lane = SochDb.Isolated.Worker.Direct.DirectLaneServer.Connect(lanePath, bootstrap.Secret);
    }
    catch (System.Net.Sockets.SocketException ex)
    {
        WorkerLog.StartupFailed(logger, $"cannot connect to the direct call lane '{lanePath}': {ex.Message}");
        await pipe.DisposeAsync().ConfigureAwait(false);
        return (int)WorkerExitCode.ConnectFailed;
    }
}

// The user switch needs the connected channel: the supervisor's pipe only accepts a peer of its own user. It is done
// before the channel is listened to, so no handshake, module or call is ever handled under the starting user.
if (!WorkerHardener.TryApplyAfterConnect(bootstrap.Hardening, out hardeningError))
{
    WorkerHardeningLog.HardeningFailed(logger, hardeningError!);
    lane?.Dispose();
    await pipe.DisposeAsync().ConfigureAwait(false);
    return (int)WorkerExitCode.HardeningFailed;
}

if (bootstrap.Hardening is { } applied)
{
    WorkerHardeningLog.HardeningApplied(logger, applied.MaxOpenFiles, applied.DisableCoreDumps, applied.UserId);
}

// Pay the serializer's first-use cost now (it generates a formatter per message type), not inside the first call's
// deadline; only the format in use, so the other one is never loaded.
RpcChannel.Prewarm(bootstrap.Wire);
using var service = new WorkerService(bootstrap.Secret, logger);
using var rpc = RpcChannel.Create(pipe, bootstrap.Wire);
service.AttachChannel(rpc);
AddTarget(rpc, service);
rpc.StartListening();
if (lane is not null)
{
    new SochDb.Isolated.Worker.Direct.DirectLaneServer(lane, bootstrap.Wire, service, logger, bootstrap.LaneSpinMicroseconds).Start();
}

// The worker lives exactly as long as its channel: when the supervisor dies or drops the pipe, Completion ends
// and the worker exits, so a dead supervisor leaves no orphan.
var finished = await Task.WhenAny(rpc.Completion, service.ShutdownRequested).ConfigureAwait(false);
var exitCode = WorkerExitCode.ParentLost;
if (finished == service.ShutdownRequested)
{
    exitCode = WorkerExitCode.Success;

    // Give the acknowledgement time to leave before the channel is torn down; the supervisor closes its end next.
    await Task.WhenAny(rpc.Completion, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
}

WorkerLog.ChannelClosed(logger, exitCode.ToString());
return (int)exitCode;

// The target's methods are found through metadata of a type named here, so trimming keeps them. The generic types the
// metadata closes at run time (Task<T> of the results) are over reference types, which Native AOT shares code for.
[UnconditionalSuppressMessage("AOT", "IL3050", Justification = "WorkerService's RPC methods return only reference types or Task<reference type>.")]
static void AddTarget(JsonRpc rpc, WorkerService service)
    => rpc.AddLocalRpcTarget(RpcTargetMetadata.FromClass(typeof(WorkerService)), service, new JsonRpcTargetOptions { AllowNonPublicInvocation = false });

static async Task<string?> ReadBootstrapAsync()
{
    using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    try
    {
        return await Console.In.ReadLineAsync(budget.Token).ConfigureAwait(false);
    }
    catch (OperationCanceledException)
    {
        return null;
    }
}

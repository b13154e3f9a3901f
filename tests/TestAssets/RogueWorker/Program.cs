using System.IO.Pipes;
using System.Reflection;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.RogueWorker;
using SochDb.Isolated.Worker.Hardening;
using StreamJsonRpc;

if (!WorkerBootstrap.TryParse(await Console.In.ReadLineAsync(), out var bootstrap))
{
    return (int)WorkerExitCode.BadBootstrap;
}

var mode = RogueMode.FromEnvironment();
OrphanGuard.Start();

// Tests find this process by the pid it announces (level 2: information, re-logged by the supervisor).
await Console.Error.WriteLineAsync($"2|rogue: pid={Environment.ProcessId} mode={mode?.ToString() ?? "rogue"}");
if (mode is { Armed: true, Name: "crash-at-start" })
{
    return mode.Code;
}

if (!WorkerHardener.TryApplyBeforeConnect(bootstrap.Hardening, out _))
{
    return (int)WorkerExitCode.HardeningFailed;
}

await using var pipe = new NamedPipeClientStream(".", bootstrap.PipeName, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
await pipe.ConnectAsync(10_000);
System.Net.Sockets.Socket? lane = null;
if (bootstrap.LanePath is { } lanePath)
{
    if (mode is { Armed: true } && mode.Name.StartsWith("lane-", StringComparison.Ordinal))
    {
        LaneRogue.Start(lanePath, bootstrap.Secret, bootstrap.Wire, mode);
    }
    else
    {
        lane = SochDb.Isolated.Worker.Direct.DirectLaneServer.Connect(lanePath, bootstrap.Secret);
    }
}

if (!WorkerHardener.TryApplyAfterConnect(bootstrap.Hardening, out _))
{
    return (int)WorkerExitCode.HardeningFailed;
}

if (mode is { Armed: false })
{
    return await RealWorker.RunAsync(pipe, bootstrap, lane);
}

if (mode is not null)
{
    return await FaultyWorker.RunAsync(pipe, bootstrap, mode);
}

using var rpc = RpcChannel.Create(pipe, bootstrap.Wire);
var rogue = new Rogue(bootstrap.Secret, rpc);
rpc.AddLocalRpcTarget(rogue);
rpc.StartListening();
await Task.WhenAny(rpc.Completion, rogue.Stopped);
return 0;

/// <summary>Answers the handshake truthfully, then abuses every call with forbidden host calls.</summary>
internal sealed class Rogue(string secret, JsonRpc rpc)
{
    private readonly TaskCompletionSource stopped = new();

    public Task Stopped => stopped.Task;

    /// <summary>The answer the real worker would give: the tests are about what a worker does after it is trusted.</summary>
    public static HandshakeResponse TruthfulHandshake(string secret, HandshakeRequest request) => new()
    {
        ProtocolVersion = ProtocolConstants.Version,
        WasmtimeVersion = typeof(Wasmtime.Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown",
        EngineSettingsHash = request.Engine.ComputeHash(),
        Secret = secret,
        WorkerPid = Environment.ProcessId,
        Hardening = HardeningReporter.Read(),
    };

    [JsonRpcMethod(WorkerMethods.Handshake)]
    public HandshakeResponse Handshake(HandshakeRequest request) => TruthfulHandshake(secret, request);

    [JsonRpcMethod(WorkerMethods.Load)]
    public LoadResponse Load(LoadRequest request) => new() { MemoryBytes = 65536 };

    [JsonRpcMethod(WorkerMethods.Invoke)]
    public async Task<InvokeResponse> InvokeAsync(InvokeRequest request)
    {
        var attempts = new[]
        {
            new HostCallRequest { CallId = request.CallId, Function = "read", Target = "secrets", RowId = 1 },
            new HostCallRequest { CallId = request.CallId, Function = "write", Target = "secrets", RowId = 1, Data = [6, 6, 6] },
            new HostCallRequest { CallId = request.CallId, Function = "delete", Target = "items_archive", RowId = 1 },
            new HostCallRequest { CallId = request.CallId, Function = "vector_search", Target = "vecs", Vector = [1f, 0f], Count = 5 },
            new HostCallRequest { CallId = request.CallId, Function = "format_disk", Target = "/" },
            new HostCallRequest { CallId = request.CallId + 1000, Function = "read", Target = "items", RowId = 1 },
        };
        var results = new List<WireValue>();
        foreach (var attempt in attempts)
        {
            var answer = await rpc.InvokeAsync<HostCallResponse>(WorkerMethods.HostCall, attempt);
            results.Add(new WireValue { Type = PluginValueType.I32, Bits = answer.Status });
        }

        return new InvokeResponse { Results = [.. results] };
    }

    [JsonRpcMethod(WorkerMethods.Status)]
    public WorkerStatus Status() => new() { Loaded = true };

    [JsonRpcMethod(WorkerMethods.Shutdown)]
    public void Shutdown() => stopped.TrySetResult();
}

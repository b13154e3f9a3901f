using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Logging;
using SochDb.Isolated.Worker.Wasm;
using StreamJsonRpc;
using Wasmtime;

namespace SochDb.Isolated.Worker;

/// <summary>
/// The worker's JSON-RPC target: handshake, load, invoke, status and shutdown for its one plugin.
/// </summary>
/// <remarks>
/// Calls are serialized with a lock because a Wasmtime store is single-threaded; the supervisor already sends one
/// call at a time per worker, so the lock is never contended in normal operation.
/// </remarks>
internal sealed class WorkerService : IDisposable
{
    private readonly string secret;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly TaskCompletionSource shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Engine? engine;
    private EpochTicker? ticker;
    private PluginInstance? plugin;

    /// <summary>Initializes a new instance of the <see cref="WorkerService"/> class.</summary>
    /// <param name="secret">The secret from the bootstrap line, returned in the handshake.</param>
    /// <param name="logger">The worker's logger.</param>
    public WorkerService(string secret, ILogger logger)
    {
        this.secret = secret;
        this.logger = logger;
    }

    /// <summary>Gets a task that completes when the supervisor asks the worker to stop.</summary>
    public Task ShutdownRequested => shutdownRequested.Task;

    /// <summary>Answers the handshake and builds the engine the supervisor described.</summary>
    /// <param name="request">The supervisor's expectations.</param>
    /// <returns>What this worker speaks and runs.</returns>
    [JsonRpcMethod(WorkerMethods.Handshake)]
    public HandshakeResponse Handshake(HandshakeRequest request)
    {
        lock (gate)
        {
            if (engine is not null)
            {
                throw new LocalRpcException("the handshake was already done") { ErrorCode = (int)ErrorKind.ProtocolError };
            }

            if (request.ProtocolVersion == ProtocolConstants.Version)
            {
                engine = EngineFactory.Create(request.Engine);
                ticker = new EpochTicker(engine, request.Engine.EpochTickMs);
                WorkerLog.HandshakeCompleted(logger, request.SupervisorPid, request.ProtocolVersion, EngineFactory.WasmtimeVersion);
            }

            return new HandshakeResponse
            {
                ProtocolVersion = ProtocolConstants.Version,
                WasmtimeVersion = EngineFactory.WasmtimeVersion,
                EngineSettingsHash = request.Engine.ComputeHash(),
                Secret = secret,
                WorkerPid = Environment.ProcessId,
            };
        }
    }

    /// <summary>Loads the plugin's module.</summary>
    /// <param name="request">The precompiled module and its limits.</param>
    /// <returns>The outcome.</returns>
    [JsonRpcMethod(WorkerMethods.Load)]
    public LoadResponse Load(LoadRequest request)
    {
        lock (gate)
        {
            RequireHandshake();
            if (plugin is not null)
            {
                throw new LocalRpcException("a worker runs exactly one plugin for its whole life") { ErrorCode = (int)ErrorKind.ProtocolError };
            }

            var response = PluginInstance.Load(engine!, ticker!, logger, request, out var loaded);
            plugin = loaded;
            if (loaded is not null)
            {
                WorkerLog.PluginLoaded(logger, request.PluginId, response.MemoryBytes);
            }

            return response;
        }
    }

    /// <summary>Runs one call.</summary>
    /// <param name="request">The call.</param>
    /// <returns>The outcome.</returns>
    [JsonRpcMethod(WorkerMethods.Invoke)]
    public InvokeResponse Invoke(InvokeRequest request)
    {
        lock (gate)
        {
            RequireHandshake();
            if (plugin is null)
            {
                throw new LocalRpcException("no plugin is loaded in this worker") { ErrorCode = (int)ErrorKind.ProtocolError };
            }

            return plugin.Invoke(request);
        }
    }

    /// <summary>Reports the worker's state.</summary>
    /// <returns>The snapshot.</returns>
    [JsonRpcMethod(WorkerMethods.Status)]
    public WorkerStatus Status()
    {
        lock (gate)
        {
            using var self = Process.GetCurrentProcess();
            return new WorkerStatus
            {
                Loaded = plugin is not null,
                MemoryBytes = plugin?.MemoryBytes ?? 0,
                PeakMemoryBytes = plugin?.PeakMemoryBytes ?? 0,
                Instantiations = plugin?.Instantiations ?? 0,
                WorkingSetBytes = self.WorkingSet64,
            };
        }
    }

    /// <summary>Acknowledges a stop request; the worker exits once the supervisor closes the channel.</summary>
    [JsonRpcMethod(WorkerMethods.Shutdown)]
    public void Shutdown() => shutdownRequested.TrySetResult();

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            plugin?.Dispose();
            plugin = null;
            ticker?.Dispose();
            ticker = null;
            engine?.Dispose();
            engine = null;
        }
    }

    private void RequireHandshake()
    {
        if (engine is null)
        {
            throw new LocalRpcException("the handshake must come first") { ErrorCode = (int)ErrorKind.ProtocolError };
        }
    }
}

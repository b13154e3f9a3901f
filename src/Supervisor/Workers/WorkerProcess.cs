using System.Diagnostics;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Supervisor.Logging;
using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Worker.Wasm;
using StreamJsonRpc;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// One worker process and its channel: spawn, connect, handshake, calls with a supervisor-side deadline, and the
/// stop ladder (ask, wait with a budget, kill, reap).
/// </summary>
/// <remarks>Owns the process, the pipe and the JSON-RPC connection. Thread-safe.</remarks>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private const int StderrTailLines = 20;

    /// <summary>The longest worker output line logged; longer ones are cut.</summary>
    private const int MaxLoggedLineBytes = 4096;

    /// <summary>The most worker output lines logged per second; the rest are counted and reported.</summary>
    private const int MaxLoggedLinesPerSecond = 200;

    /// <summary>Warms this process's serializers once, off every call's deadline.</summary>
    private static readonly Lazy<Task> Prewarmed = new(() => Task.Run(() =>
    {
        // Supervisors of one process may speak different formats; warm both serializers.
        RpcChannel.Prewarm(WireFormat.MessagePackLengthPrefixed);
        RpcChannel.Prewarm(WireFormat.JsonLengthPrefixed);
    }));

    private readonly Process process;
    private readonly NamedPipeServerStream pipe;
    private readonly ILogger logger;
    private readonly Queue<string> stderrTail = new();
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource lifetime = new();
    private readonly IWorkerGroup group;
    private readonly OutputRateLimiter outputLimiter = new(MaxLoggedLinesPerSecond);
    private Task outputPumps = Task.CompletedTask;
    private FrameLimitStream? channel;
    private string? protocolViolation;
    private JsonRpc? rpc;
    private int stopping;
    private int disposed;
    private int killReason;
    private int inFlight;
    private CallCoalescer? coalescer;
    private DirectLane? lane;

    /// <summary>The plugin the worker serves (for logs and errors); a pooled worker's placeholder until <see cref="Adopt"/>.</summary>
    private volatile string pluginId;

    /// <summary>Answers the worker's host calls; <see langword="null"/> while a pooled worker waits for its plugin.</summary>
    private volatile Func<HostCallRequest, CancellationToken, Task<HostCallResponse>>? hostCalls;

    /// <summary>The OS memory limit of the group now; changes once, on adoption.</summary>
    private long osMemoryLimitBytes;

    /// <summary>1 once the worker belongs to a plugin: started for one, or adopted from the warm pool.</summary>
    private int adopted;

    /// <summary>Set by <see cref="Process.Exited"/>, which fires when the child is reaped, before its output is drained.</summary>
    private int processEnded;

    private WorkerProcess(Process process, NamedPipeServerStream pipe, string pluginId, ILogger logger, IWorkerGroup group, long osMemoryLimitBytes, Func<HostCallRequest, CancellationToken, Task<HostCallResponse>>? hostCalls)
    {
        this.process = process;
        this.pipe = pipe;
        this.pluginId = pluginId;
        this.logger = logger;
        this.group = group;
        this.osMemoryLimitBytes = osMemoryLimitBytes;
        this.hostCalls = hostCalls;
        adopted = hostCalls is null ? 0 : 1;
        Pid = process.Id;
    }

    /// <summary>Gets the worker's process id.</summary>
    public int Pid { get; }

    /// <summary>Gets the file system path of the pipe's Unix domain socket (on Unix), removed once the worker connects.</summary>
    internal string? SocketPath { get; private set; }

    /// <summary>Gets a task that completes when the process has exited.</summary>
    public Task Exited => exited.Task;

    /// <summary>
    /// Gets a value indicating whether the process has exited: observed by the exit watcher, or already reaped by the
    /// OS while the watcher still drains its output (so a call is never sent to a worker known to be dead).
    /// </summary>
    public bool HasExited => exited.Task.IsCompleted || Volatile.Read(ref processEnded) != 0;

    /// <summary>Gets a value indicating whether the supervisor asked this worker to stop (its exit is then not a crash).</summary>
    public bool IsStopping => Volatile.Read(ref stopping) != 0;

    /// <summary>Gets the exit code once the process has exited (128 + signal when a signal killed it).</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Gets how the process ended, once it has (<see cref="WorkerExitReason.None"/> before).</summary>
    public WorkerExitReason ExitReason { get; private set; }

    /// <summary>Gets the OS memory limit of the worker's group: the plugin's limit plus the runtime allowance.</summary>
    public long OsMemoryLimitBytes => Interlocked.Read(ref osMemoryLimitBytes);

    /// <summary>Reads the worker's OS group: memory charged and OOM kills.</summary>
    /// <returns>The snapshot.</returns>
    public WorkerGroupSnapshot ReadGroup() => group.Read();

    /// <summary>Gets how the worker broke the channel protocol, once it has; such a worker is killed at once.</summary>
    internal string? ProtocolViolation => Volatile.Read(ref protocolViolation);

    /// <summary>Starts a worker and completes the handshake, all within <see cref="PluginSupervisorOptions.WorkerStartTimeout"/>.</summary>
    /// <param name="pluginId">The plugin the worker is for.</param>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <param name="options">The supervisor options.</param>
    /// <param name="engineSettings">The engine settings the worker must use.</param>
    /// <param name="engineHash">Their hash.</param>
    /// <param name="logger">The supervisor's logger.</param>
    /// <param name="hostCalls">
    /// Answers the worker's host calls; the supervisor is the only authority over them. <see langword="null"/> starts
    /// an empty worker for the warm pool, which gets its plugin (and handler) through <see cref="Adopt"/>.
    /// </param>
    /// <param name="isolation">Creates the worker's OS group.</param>
    /// <param name="limits">The worker's OS limits.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The connected worker.</returns>
    /// <exception cref="PluginException">
    /// The worker could not be started, placed in its OS group (<see cref="ErrorKind.SandboxFailed"/>), did not
    /// connect, or failed the handshake.
    /// </exception>
    public static async Task<WorkerProcess> StartAsync(
        string pluginId,
        string workerPath,
        PluginSupervisorOptions options,
        EngineSettings engineSettings,
        string engineHash,
        ILogger logger,
        Func<HostCallRequest, CancellationToken, Task<HostCallResponse>>? hostCalls,
        IWorkerIsolation isolation,
        WorkerLimits limits,
        CancellationToken cancellationToken)
    {
        await Prewarmed.Value.ConfigureAwait(false);
        WireFormat wire;
        try
        {
            // Checked when the supervisor was built; checked again here because the file at workerPath can change.
            wire = WorkerLauncher.ResolveWire(options.WireFormat, workerPath);
        }
        catch (ArgumentException ex)
        {
            throw new PluginException(ErrorKind.SandboxFailed, pluginId, ex.Message, ex);
        }

        var pipeName = "sochdb-" + Guid.NewGuid().ToString("N");
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        IWorkerGroup group;
        try
        {
            group = isolation.CreateGroup(pipeName["sochdb-".Length..], limits);
        }
        catch (IsolationException ex)
        {
            throw new PluginException(ErrorKind.SandboxFailed, pluginId, $"the worker's OS group could not be created ({isolation.Mode}): {ex.Message}", ex);
        }

        var pipe = new NamedPipeServerStream(pipeName, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        string? lanePath = null;
        Socket? laneListener = null;
        if (options.DirectCalls)
        {
            lanePath = Path.Combine(Path.GetTempPath(), "sochdb-lane-" + pipeName["sochdb-".Length..]);
            try
            {
                laneListener = DirectLane.Listen(lanePath);
            }
            catch (Exception ex) when (ex is SocketException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                await pipe.DisposeAsync().ConfigureAwait(false);
                await group.DisposeAsync().ConfigureAwait(false);
                throw new PluginException(ErrorKind.SandboxFailed, pluginId, $"the worker's direct call lane could not be created at '{lanePath}': {ex.Message}", ex);
            }
        }

        using var laneListenerOwner = laneListener;
        Process process;
        Hardening.HardeningPlan hardening;
        try
        {
            hardening = Hardening.WorkerHardening.GetPlan(options.Hardening, logger);
        }
        catch (InvalidOperationException ex)
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            await group.DisposeAsync().ConfigureAwait(false);
            DirectLane.DeleteFile(lanePath);
            throw new PluginException(ErrorKind.SandboxFailed, pluginId, $"the required worker hardening is not available: {ex.Message}", ex);
        }

        try
        {
            process = new Process { StartInfo = WorkerLauncher.CreateStartInfo(workerPath, options, hardening, logger), EnableRaisingEvents = true };
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            await group.DisposeAsync().ConfigureAwait(false);
            DirectLane.DeleteFile(lanePath);
            throw new PluginException(ErrorKind.WorkerCrashed, pluginId, $"the worker process could not be started from '{workerPath}': {ex.Message}", ex);
        }

        var worker = new WorkerProcess(process, pipe, pluginId, logger, group, limits.MemoryBytes, hostCalls);
        worker.Attach();
        var started = Stopwatch.GetTimestamp();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(options.WorkerStartTimeout);
        try
        {
            // The worker waits for its bootstrap line before it does anything, so placing it in its group here, before
            // that line is written, puts every byte of plugin code under the OS limits.
            try
            {
                group.Add(worker.Pid);
            }
            catch (IsolationException ex)
            {
                throw new PluginException(ErrorKind.SandboxFailed, pluginId, $"the worker could not be placed in its OS group ({isolation.Mode}): {ex.Message}", ex);
            }

            var bootstrap = new WorkerBootstrap { PipeName = pipeName, Secret = secret, Wire = wire, LogLevel = (int)options.WorkerLogLevel, Hardening = hardening.WorkerRequest, LanePath = lanePath, LaneSpinMicroseconds = (int)options.DirectCallSpin.TotalMicroseconds };
            await process.StandardInput.WriteLineAsync(bootstrap.ToJsonLine().AsMemory(), budget.Token).ConfigureAwait(false);
            await process.StandardInput.FlushAsync(budget.Token).ConfigureAwait(false);
            process.StandardInput.Close();

            var connect = pipe.WaitForConnectionAsync(budget.Token);
            if (await Task.WhenAny(connect, worker.Exited).ConfigureAwait(false) != connect)
            {
                throw worker.CrashedBeforeReady("exited before connecting");
            }

            await connect.ConfigureAwait(false);

            // The socket file is only needed to connect. Removing it now means nothing else can connect, and a
            // supervisor that is killed later leaves no stale file behind in the temp folder.
            worker.SocketPath = RemoveSocketFile(pipeName);
            worker.channel = new FrameLimitStream(pipe, wire, options.MaxMessageBytes);
            worker.rpc = RpcChannel.Create(worker.channel, wire);
            worker.rpc.Disconnected += worker.OnDisconnected;
            worker.rpc.AddLocalRpcMethod(WorkerMethods.HostCall, worker.HandleHostCallAsync);
            worker.rpc.StartListening();
            if (laneListener is not null)
            {
                await worker.ConnectLaneAsync(laneListener, lanePath!, secret, wire, options.MaxMessageBytes, options.DirectCallSpin, budget.Token).ConfigureAwait(false);
            }

            var request = new HandshakeRequest { ProtocolVersion = ProtocolConstants.Version, Engine = engineSettings, SupervisorPid = Environment.ProcessId };
            HandshakeResponse? response;
            try
            {
                // WaitAsync, not a token: a cancelled request still waits for the peer to acknowledge the
                // cancellation, which a silent worker never does.
                response = await worker.rpc.InvokeWithCancellationAsync<HandshakeResponse>(WorkerMethods.Handshake, [request], CancellationToken.None).WaitAsync(budget.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Anything but the budget running out: a dead channel, an error answer, or an answer we cannot read.
                if (worker.ProtocolViolation is null)
                {
                    await worker.WaitForExitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }

                throw worker.ProtocolViolation is { } violation ? worker.Malformed(violation, ex)
                    : worker.HasExited ? worker.CrashedBeforeReady("exited during the handshake")
                    : new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker broke the handshake: {ex.Message}", ex);
            }

            var problem = HandshakeValidator.Validate(response, secret, EngineFactory.WasmtimeVersion, engineHash)
                ?? HandshakeValidator.ValidateHardening(response!.Hardening, hardening.Expected);
            if (problem is not null)
            {
                SupervisorLog.HandshakeRejected(logger, pluginId, worker.Pid, problem);
                throw new PluginException(ErrorKind.ProtocolError, pluginId, $"worker handshake failed: {problem}");
            }

            SupervisorLog.WorkerStarted(logger, pluginId, worker.Pid, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _ = worker.HeartbeatAsync(options.HeartbeatInterval, options.HeartbeatTimeout);
            return worker;
        }
        catch (Exception ex)
        {
            await worker.KillAsync(WorkerExitReason.StartFailed).ConfigureAwait(false);
            await worker.DisposeAsync().ConfigureAwait(false);
            DirectLane.DeleteFile(lanePath);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A crash, not a protocol error, even when the worker connected and then said nothing: a real worker
                // builds its engine while answering, which an overloaded machine can stretch past the budget, so the
                // failure is as transient as a crash. The message still tells the two apart.
                var stage = worker.rpc is null ? "did not start" : "connected but did not answer the handshake";
                throw new PluginException(ErrorKind.WorkerCrashed, pluginId, $"the worker {stage} within {options.WorkerStartTimeout.TotalSeconds:F1} s and was killed{worker.TailSuffix()}", ex);
            }

            if (ex is IOException)
            {
                throw new PluginException(ErrorKind.WorkerCrashed, pluginId, $"the worker channel failed during start-up: {ex.Message}{worker.TailSuffix()}", ex);
            }

            throw;
        }
    }

    /// <summary>
    /// Gives an empty warm-pool worker to its plugin, once: its limits first (before any plugin byte reaches it), then
    /// its host-call handler and the plugin id its logs and errors name. Call before <see cref="LoadAsync"/>.
    /// </summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="hostCalls">Answers the worker's host calls.</param>
    /// <param name="limits">The plugin's OS limits.</param>
    /// <exception cref="InvalidOperationException">The worker already belongs to a plugin.</exception>
    /// <exception cref="IsolationException">The limits could not be applied; the worker is unusable and must be disposed.</exception>
    public void Adopt(string pluginId, Func<HostCallRequest, CancellationToken, Task<HostCallResponse>> hostCalls, WorkerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(pluginId);
        ArgumentNullException.ThrowIfNull(hostCalls);
        ArgumentNullException.ThrowIfNull(limits);
        if (Interlocked.Exchange(ref adopted, 1) != 0)
        {
            throw new InvalidOperationException($"Worker {Pid} already serves plugin '{this.pluginId}'; a worker serves one plugin for its whole life.");
        }

        group.SetLimits(limits);
        Interlocked.Exchange(ref osMemoryLimitBytes, limits.MemoryBytes);
        this.hostCalls = hostCalls;
        this.pluginId = pluginId;
    }

    /// <summary>Loads the plugin into the worker.</summary>
    /// <param name="request">The load request.</param>
    /// <param name="deadline">How long to wait for the answer before killing the worker.</param>
    /// <returns>The worker's answer.</returns>
    public Task<LoadResponse> LoadAsync(LoadRequest request, TimeSpan deadline)
        => CallAsync<LoadResponse>(WorkerMethods.Load, request, deadline, 0);

    /// <summary>Runs one call in the worker.</summary>
    /// <param name="request">The call.</param>
    /// <param name="deadline">The supervisor-side deadline: the call's timeout plus a grace. Past it the worker is killed.</param>
    /// <returns>The worker's answer.</returns>
    /// <exception cref="PluginTimeoutException">The worker did not answer by the deadline and was killed.</exception>
    /// <exception cref="WorkerCrashedException">The worker died or broke the channel.</exception>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.ProtocolError"/>: the worker sent a malformed, oversized or unasked message and was killed.</exception>
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request, TimeSpan deadline)
        => lane is { } direct && direct.TryAcquire()
            ? CallDirectAsync(direct, request, deadline)
            : CallAsync<InvokeResponse>(WorkerMethods.Invoke, request, deadline, request.CallId);

    /// <summary>
    /// Runs one call in the worker, coalesced with others when <see cref="Coalesce"/> was called and every instance is
    /// busy (otherwise as <see cref="InvokeAsync(InvokeRequest, TimeSpan)"/>).
    /// </summary>
    /// <param name="request">The call.</param>
    /// <param name="deadline">The supervisor-side deadline, from when the call is sent.</param>
    /// <param name="bytes">The call's argument bytes.</param>
    /// <param name="combinable">Whether the call may share a message with others (it answers with numbers only).</param>
    /// <param name="sent">
    /// Told when the call is sent (again, if its message hands it back unstarted), with how long it may wait in the
    /// worker before it starts: zero alone, its own timeout behind other calls in a message.
    /// </param>
    /// <param name="cancellationToken">Takes the call out of the line while it waits for an instance; a sent call runs to its end.</param>
    /// <returns>The worker's answer.</returns>
    /// <exception cref="OverloadedException">The call waited longer than the queue timeout for an instance.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled while the call waited for an instance.</exception>
    /// <exception cref="PluginTimeoutException">The worker did not answer by the deadline and was killed.</exception>
    /// <exception cref="WorkerCrashedException">The worker died or broke the channel.</exception>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.ProtocolError"/>: the worker broke the protocol.</exception>
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request, TimeSpan deadline, long bytes, bool combinable, Action<TimeSpan>? sent, CancellationToken cancellationToken)
    {
        if (coalescer is { } lanes)
        {
            return lanes.InvokeAsync(request, deadline, bytes, combinable, sent, cancellationToken);
        }

        sent?.Invoke(TimeSpan.Zero);
        return InvokeAsync(request, deadline);
    }

    /// <summary>
    /// Turns on call coalescing: at most <paramref name="lanes"/> messages in the worker at once, and the calls that
    /// wait for one go together in one <c>worker.invokeMany</c> when it frees.
    /// </summary>
    /// <param name="lanes">The plugin's instances in this worker.</param>
    /// <param name="maxCalls">The most calls one message carries.</param>
    /// <param name="maxBytes">The most argument bytes one message carries.</param>
    /// <param name="queueTimeout">The longest a call waits for an instance.</param>
    /// <param name="maxQueued">The most calls of the plugin that may wait for an instance, here and at its gate together.</param>
    /// <param name="queue">The plugin's waiting calls, which this worker's lanes count into.</param>
    /// <param name="retryAfter">The retry hint of a call that waited too long or found the line full.</param>
    /// <param name="fuelLeft">What is left of the plugin's lifetime fuel budget: a coalesced message's calls share it.</param>
    internal void Coalesce(int lanes, int maxCalls, long maxBytes, TimeSpan queueTimeout, int maxQueued, QueueAccount? queue, TimeSpan retryAfter, Func<long> fuelLeft)
    {
        coalescer = new CallCoalescer(
            lanes,
            maxCalls,
            maxBytes,
            queueTimeout,
            maxQueued,
            queue,
            InvokeAsync,
            (calls, deadline) =>
            {
                SupervisorLog.CallsCoalesced(logger, pluginId, Pid, calls.Calls.Length);
                return CallAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, calls, deadline, calls.Calls[0].CallId);
            },
            fuelLeft,
            () => Gone() is { } reason ? new CallNotSentException(pluginId, reason) : null,
            (queued, waited) => new OverloadedException(pluginId, queued, retryAfter, waited),
            queued => new OverloadedException(pluginId, queued, retryAfter),
            problem => new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker of plugin '{pluginId}' answered {problem}"));
    }

    /// <summary>
    /// Fails the calls waiting for one of this worker's instances as not sent (call coalescing): the plugin is being
    /// unloaded, and its router turns them into <see cref="ErrorKind.SandboxTerminated"/> as it does for calls waiting at
    /// the gate. Calls already sent run to their end.
    /// </summary>
    /// <param name="reason">Why, for the message.</param>
    internal void AbandonWaitingCalls(string reason) => coalescer?.Abandon(() => new CallNotSentException(pluginId, reason));

    /// <summary>Runs a batch: one call per argument row, in order.</summary>
    /// <param name="request">The batch.</param>
    /// <param name="deadline">How long to wait for the whole batch, from when it is sent, before killing the worker.</param>
    /// <param name="sent">Told when the batch is sent (after its wait for an instance when calls are coalesced).</param>
    /// <returns>One outcome per row.</returns>
    /// <exception cref="PluginTimeoutException">The worker did not answer by the deadline and was killed.</exception>
    /// <exception cref="WorkerCrashedException">The worker died or broke the channel.</exception>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.ProtocolError"/>: the worker sent a malformed, oversized or unasked message and was killed.</exception>
    public Task<InvokeBatchResponse> InvokeBatchAsync(InvokeBatchRequest request, TimeSpan deadline, Action? sent = null)
    {
        // The batch's time budget runs from when it is sent, as a call's does: a wait for an instance is bounded by the
        // queue timeout, not by the batch's budget.
        return coalescer is { } lanes ? lanes.RunAloneAsync(_ => Send()) : Send();

        Task<InvokeBatchResponse> Send()
        {
            sent?.Invoke();
            return CallAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, request, deadline, request.CallId);
        }
    }

    /// <summary>Has a worker without a plugin run its load and call path once on a built-in module (warm pool only).</summary>
    /// <param name="deadline">How long to wait.</param>
    /// <returns>The worker's time spent, in microseconds.</returns>
    public Task<long> PrewarmAsync(TimeSpan deadline) => CallAsync<long>(WorkerMethods.Prewarm, null, deadline, 0);

    /// <summary>Asks the worker for its status.</summary>
    /// <param name="deadline">How long to wait.</param>
    /// <returns>The status.</returns>
    public Task<WorkerStatus> GetStatusAsync(TimeSpan deadline) => CallAsync<WorkerStatus>(WorkerMethods.Status, null, deadline, 0);

    /// <summary>Stops the worker: asks it, waits within the budget, then kills it and reaps it.</summary>
    /// <param name="budget">The time allowed for a polite stop.</param>
    /// <returns>A task that completes when the process is gone.</returns>
    public async Task StopAsync(TimeSpan budget)
    {
        Interlocked.Exchange(ref stopping, 1);
        string how;
        if (HasExited)
        {
            how = "had already exited";
        }
        else
        {
            var askedAt = Stopwatch.GetTimestamp();
            try
            {
                if (rpc is not null)
                {
                    // WaitAsync, not a token: a cancelled request completes only when the worker acknowledges it, and
                    // a stopped or deadlocked worker never does.
                    await rpc.InvokeWithCancellationAsync(WorkerMethods.Shutdown, [], CancellationToken.None).WaitAsync(budget).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or ConnectionLostException or RemoteRpcException or ObjectDisposedException or IOException)
            {
                // The polite request failed; the ladder goes on.
            }

            // Closing our end is the second signal: the worker exits when its channel ends.
            rpc?.Dispose();
            lane?.Dispose();

            // One budget for the whole polite stop: the time the request took is not granted again.
            var left = budget - Stopwatch.GetElapsedTime(askedAt);
            if (await WaitForExitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false))
            {
                how = "asked";
            }
            else
            {
                await KillAsync(WorkerExitReason.Stopped).ConfigureAwait(false);
                how = "killed after ignoring the stop request";
            }
        }

        SupervisorLog.WorkerStopped(logger, pluginId, Pid, how);
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the worker at once (its whole OS group, then the process itself) and waits (bounded) until it is reaped.</summary>
    /// <param name="reason">Why: recorded as the exit reason unless an earlier kill already recorded one.</param>
    /// <returns>A task that completes when the process is gone or the wait gave up.</returns>
    public async Task KillAsync(WorkerExitReason reason)
    {
        Interlocked.CompareExchange(ref killReason, (int)reason, 0);
        Interlocked.Exchange(ref stopping, 1);
        group.Kill();
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref stopping, 1);
        await lifetime.CancelAsync().ConfigureAwait(false);
        rpc?.Dispose();
        lane?.Dispose();
        await pipe.DisposeAsync().ConfigureAwait(false);
        if (!HasExited)
        {
            await KillAsync(WorkerExitReason.Stopped).ConfigureAwait(false);
        }

        // The group goes last: it kills whatever the worker may have left inside, then removes itself.
        await group.DisposeAsync().ConfigureAwait(false);
        process.Dispose();
        lifetime.Dispose();
    }

    /// <summary>Why the worker can take no more calls, or <see langword="null"/> while it can.</summary>
    /// <returns>The reason.</returns>
    private string? Gone()
        => HasExited ? "it exited"
            : Volatile.Read(ref stopping) != 0 ? "it is being stopped or was killed"
            : rpc is null || rpc.IsDisposed || rpc.Completion.IsCompleted ? "its channel is closed"
            : null;

    /// <summary>Describes the last lines the worker wrote to standard error, for error messages.</summary>
    /// <returns>An empty string, or "; last worker output: …".</returns>
    internal string TailSuffix()
    {
        lock (stderrTail)
        {
            return stderrTail.Count == 0 ? string.Empty : "; last worker output: " + string.Join(" | ", stderrTail);
        }
    }

    private static string? RemoveSocketFile(string pipeName)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        // .NET names a pipe's socket "CoreFxPipe_<name>" in the temp folder.
        var path = Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + pipeName);
        DirectLane.DeleteFile(path);
        return path;
    }

    private static LogLevel ParseLevel(string line, out string message)
    {
        if (line.Length >= 2 && line[1] == '|' && line[0] is >= '0' and <= '5')
        {
            message = line[2..];
            return (LogLevel)(line[0] - '0');
        }

        // Not one of ours: native code or the runtime wrote it. Worth seeing.
        message = line;
        return LogLevel.Warning;
    }

    private async Task<T> CallAsync<T>(string method, object? argument, TimeSpan deadline, long callId)
    {
        var connection = rpc ?? throw new InvalidOperationException("The worker is not connected.");
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref inFlight);
        try
        {
            Task<T> call;
            try
            {
                call = connection.InvokeWithCancellationAsync<T>(method, argument is null ? [] : [argument], CancellationToken.None);
            }
            catch (ObjectDisposedException ex)
            {
                throw new WorkerCrashedException(pluginId, ExitCode, "the worker's channel is closed", ex);
            }

            try
            {
                // A null answer is as unreadable as a wrong-typed one: every message type is a class.
                return await call.WaitAsync(deadline).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"the worker answered {method} with null");
            }
            catch (TimeoutException)
            {
                SupervisorLog.WorkerUnresponsive(logger, pluginId, Pid, callId, deadline.TotalMilliseconds);
                await KillAsync(WorkerExitReason.TimedOut).ConfigureAwait(false);
                throw new PluginTimeoutException(pluginId, Stopwatch.GetElapsedTime(started), workerKilled: true, $"plugin '{pluginId}' did not answer within {deadline.TotalMilliseconds:F0} ms; its worker was killed");
            }
            catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException or IOException)
            {
                // The disconnect handler has already decided whether the worker broke the protocol (it runs before
                // pending calls fail); if it did, the worker is being killed and the call fails as its fault, not a crash.
                if (ProtocolViolation is { } violation)
                {
                    await KillAsync(WorkerExitReason.ProtocolViolation).ConfigureAwait(false);
                    throw Malformed(violation, ex);
                }

                await WaitForExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                throw DescribeLoss(ex);
            }
            catch (RemoteRpcException ex)
            {
                throw new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker rejected {method}: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is not PluginException)
            {
                // The answer arrived but cannot be read as what was asked (wrong type, null, undecodable result): the
                // worker is not speaking the protocol, and nothing it says later can be trusted either.
                OnProtocolViolation($"its {method} answer could not be read: {ex.GetType().Name}: {ex.Message}");
                await KillAsync(WorkerExitReason.ProtocolViolation).ConfigureAwait(false);
                throw Malformed(ProtocolViolation!, ex);
            }
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    /// <summary>
    /// Accepts the worker's direct call lane and checks its hello, within the start budget; the socket file goes as soon
    /// as the worker is connected, as the channel's does.
    /// </summary>
    private async Task ConnectLaneAsync(Socket listener, string path, string secret, WireFormat wire, long maxFrameBytes, TimeSpan spin, CancellationToken budget)
    {
        DirectLane? accepted;
        try
        {
            accepted = await DirectLane.AcceptAsync(listener, secret, wire, maxFrameBytes, HandleHostCallAsync, OnProtocolViolation, () => HasExited, spin, budget).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker's direct call lane failed: {ex.Message}", ex);
        }
        finally
        {
            DirectLane.DeleteFile(path);
        }

        lane = accepted ?? throw CrashedBeforeReady("exited before connecting its direct call lane");
        accepted.Start($"sochdb-lane-{Pid}");
        SupervisorLog.DirectLaneConnected(logger, pluginId, Pid, path);
    }

    /// <summary>Runs one call over the direct lane, with the same deadline, kill ladder and error mapping as <see cref="CallAsync"/>.</summary>
    private async Task<InvokeResponse> CallDirectAsync(DirectLane direct, InvokeRequest request, TimeSpan deadline)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref inFlight);
        SupervisorLog.DirectCallSent(logger, pluginId, Pid, request.CallId);

        // The deadline runs from before the send: a worker that stops reading could otherwise hold the caller's thread
        // in it (or behind a host call's answer) before any timer existed. At the deadline the lane is closed, which
        // ends such a send, and the worker is killed below.
        using var expiry = new CancellationTokenSource(deadline);
        using var abort = expiry.Token.UnsafeRegister(state => direct.Abort(request.CallId, "the call's deadline passed"), null);
        try
        {
            try
            {
                return await direct.InvokeAsync(request).WaitAsync(expiry.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (expiry.IsCancellationRequested && ex is OperationCanceledException or IOException)
            {
                SupervisorLog.WorkerUnresponsive(logger, pluginId, Pid, request.CallId, deadline.TotalMilliseconds);
                await KillAsync(WorkerExitReason.TimedOut).ConfigureAwait(false);
                throw new PluginTimeoutException(pluginId, Stopwatch.GetElapsedTime(started), workerKilled: true, $"plugin '{pluginId}' did not answer within {deadline.TotalMilliseconds:F0} ms; its worker was killed");
            }
            catch (DirectLaneRejectedException ex)
            {
                throw new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker rejected {WorkerMethods.Invoke}: {ex.Message}", ex);
            }
            catch (IOException ex)
            {
                if (ProtocolViolation is null && !await WaitForExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false) && !IsStopping)
                {
                    // The lane ended but the worker lives on: it closed the lane itself, which a sound worker never does.
                    OnProtocolViolation($"it closed its direct call lane ({ex.Message})");
                }

                if (ProtocolViolation is { } violation)
                {
                    await KillAsync(WorkerExitReason.ProtocolViolation).ConfigureAwait(false);
                    throw Malformed(violation, ex);
                }

                throw DescribeLoss(ex);
            }
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    /// <summary>Turns a lost channel into the error its cause deserves: the OS memory limit, or a crash.</summary>
    private PluginException DescribeLoss(Exception inner)
    {
        var code = ExitCode is { } c ? $" (exit code {c})" : string.Empty;
        return ExitReason switch
        {
            WorkerExitReason.OutOfMemory => new MemoryLimitExceededException(
                pluginId,
                group.Read().PeakMemoryBytes ?? OsMemoryLimitBytes,
                OsMemoryLimitBytes,
                $"the worker of plugin '{pluginId}' was killed for exceeding its OS memory limit of {OsMemoryLimitBytes / (1024 * 1024)} MiB (the plugin's limit plus the runtime allowance){code}"),
            _ => new WorkerCrashedException(pluginId, ExitCode, $"the worker of plugin '{pluginId}' died during the call{code}{TailSuffix()}", inner),
        };
    }

    /// <summary>
    /// Pings the worker while it is idle. A worker that stops answering (stopped, deadlocked, stuck in native code) is
    /// killed, so the next call finds a fresh one instead of waiting out its own deadline.
    /// </summary>
    private async Task HeartbeatAsync(TimeSpan interval, TimeSpan timeout)
    {
        try
        {
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync(lifetime.Token).ConfigureAwait(false))
            {
                if (HasExited || rpc is not { } connection)
                {
                    return;
                }

                if (Volatile.Read(ref inFlight) > 0)
                {
                    // A running call has its own deadline; the heartbeat would only add noise.
                    continue;
                }

                try
                {
                    // WaitAsync, not a token: StreamJsonRpc completes a cancelled request only when the other side
                    // acknowledges the cancellation, and a hung worker never does.
                    await connection.InvokeWithCancellationAsync<WorkerStatus>(WorkerMethods.Status, [], CancellationToken.None).WaitAsync(timeout, lifetime.Token).ConfigureAwait(false);
                }
                catch (TimeoutException) when (!lifetime.IsCancellationRequested)
                {
                    SupervisorLog.HeartbeatMissed(logger, pluginId, Pid, timeout.TotalMilliseconds);
                    await KillAsync(WorkerExitReason.Unresponsive).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionLostException or ObjectDisposedException or RemoteRpcException or IOException)
        {
            // The worker is going away; its exit is handled where it is observed.
        }
    }

    /// <summary>
    /// The registered host-call method. It forwards to the plugin's handler; a worker with none has no plugin and
    /// cannot legitimately ask for anything, so the call is a protocol violation and the worker is killed.
    /// </summary>
    private Task<HostCallResponse> HandleHostCallAsync(HostCallRequest request, CancellationToken cancellationToken)
    {
        if (hostCalls is { } handler)
        {
            return handler(request, cancellationToken);
        }

        OnProtocolViolation("it made a host call before it was given a plugin");
        throw new InvalidOperationException("host calls are denied: this worker has no plugin");
    }

    private PluginException Malformed(string violation, Exception? cause)
        => new(ErrorKind.ProtocolError, pluginId, $"the worker of plugin '{pluginId}' sent a malformed message and was killed ({violation})", cause);

    /// <summary>Records the first protocol violation, logs it and kills the worker without waiting for it to go.</summary>
    private void OnProtocolViolation(string violation)
    {
        if (Interlocked.CompareExchange(ref protocolViolation, violation, null) is not null)
        {
            return;
        }

        SupervisorLog.WorkerProtocolViolation(logger, pluginId, Pid, violation);

        // The kill is sent before the first await; whoever fails the call awaits the reap.
        _ = KillAsync(WorkerExitReason.ProtocolViolation);
    }

    private void OnDisconnected(object? sender, JsonRpcDisconnectedEventArgs e)
    {
        // The frame guard's finding is the precise one; StreamJsonRpc only sees that its stream threw.
        if ((channel?.Violation ?? ChannelFault.Describe(e.Reason, e.Description, e.Exception)) is { } violation)
        {
            OnProtocolViolation(violation);
        }
    }

    private WorkerCrashedException CrashedBeforeReady(string when)
        => new WorkerCrashedException(pluginId, ExitCode, $"the worker {when}{(ExitCode is { } code ? $" (exit code {code})" : string.Empty)}{TailSuffix()}");

    private async Task<bool> WaitForExitAsync(TimeSpan budget)
    {
        try
        {
            await Exited.WaitAsync(budget).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Attach()
    {
        // Missing an exit that happened before this line is harmless: the exit watcher below still sees it.
        process.Exited += (_, _) => Volatile.Write(ref processEnded, 1);
        // Our own bounded line readers, not BeginErrorReadLine: its reader buffers a line until a line break comes.
        outputPumps = Task.WhenAll(
            Task.Run(() => OutputLineReader.PumpAsync(process.StandardOutput.BaseStream, MaxLoggedLineBytes, line => OnLine(line, fromStdout: true))),
            Task.Run(() => OutputLineReader.PumpAsync(process.StandardError.BaseStream, MaxLoggedLineBytes, line => OnLine(line, fromStdout: false))));
        _ = WatchExitAsync();
    }

    private async Task WatchExitAsync()
    {
        await process.WaitForExitAsync().ConfigureAwait(false);

        // Let the output drain so every last line is logged first, but not forever: a child the worker left behind
        // could hold the pipes open.
        await outputPumps.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ReportDroppedOutput(outputLimiter.TakeDropped());
        ExitCode = process.ExitCode;
        ExitReason = Classify();
        if (ExitReason is not WorkerExitReason.Stopped)
        {
            SupervisorLog.WorkerCrashed(logger, pluginId, Pid, ExitCode, ExitReason);
        }

        await lifetime.CancelAsync().ConfigureAwait(false);
        exited.TrySetResult();
    }

    private WorkerExitReason Classify()
    {
        // An OOM kill outranks whatever the supervisor was doing at the time: a worker killed at a deadline while the
        // OS was already killing it for memory failed because of memory.
        var oom = group.Read().OomKills > 0;
        var recorded = (WorkerExitReason)Volatile.Read(ref killReason);
        return oom && recorded is not WorkerExitReason.Stopped ? WorkerExitReason.OutOfMemory
            : recorded is not WorkerExitReason.None ? recorded
            : IsStopping ? WorkerExitReason.Stopped
            : WorkerExitReason.Crashed;
    }

    private void OnLine(string? line, bool fromStdout)
    {
        if (string.IsNullOrEmpty(line))
        {
            return;
        }

        var level = ParseLevel(line, out var message);
        if (fromStdout)
        {
            // The worker never writes standard output; whatever arrives came from native code.
            level = LogLevel.Warning;
            message = "(stdout) " + line;
        }

        if (level >= LogLevel.Warning)
        {
            lock (stderrTail)
            {
                stderrTail.Enqueue(message.Length > 300 ? message[..300] : message);
                while (stderrTail.Count > StderrTailLines)
                {
                    stderrTail.Dequeue();
                }
            }
        }

        if (!outputLimiter.TryAcquire(Stopwatch.GetTimestamp(), out var dropped))
        {
            return;
        }

        ReportDroppedOutput(dropped);
        SupervisorLog.WorkerOutput(logger, level, pluginId, Pid, message);
    }

    private void ReportDroppedOutput(long dropped)
    {
        if (dropped > 0)
        {
            SupervisorLog.WorkerOutputSuppressed(logger, pluginId, Pid, dropped, outputLimiter.LinesPerSecond);
        }
    }
}

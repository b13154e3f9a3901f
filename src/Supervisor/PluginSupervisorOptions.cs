using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor;

/// <summary>Options of a <see cref="PluginSupervisor"/>. Every default is safe and every value is bounded.</summary>
public sealed class PluginSupervisorOptions
{
    /// <summary>
    /// The lowest <see cref="MaxMessageBytes"/> allowed: the largest host payload a manifest may allow, plus room for the
    /// rest of the message, so that no valid manifest can produce a message the limit refuses (in MessagePack).
    /// </summary>
    internal const long MaxMessageBytesFloor = Protocol.Manifest.ResourceLimits.MaxHostBytesLimit + (1024 * 1024);

    /// <summary>The highest <see cref="MaxMessageBytes"/> allowed.</summary>
    internal const long MaxMessageBytesCeiling = 1024L * 1024 * 1024;

    /// <summary>Gets or sets the most plugins loaded at once (default 64, as in the original; 1 to 4096).</summary>
    public int MaxSandboxes { get; set; } = 64;

    /// <summary>
    /// Gets or sets each plugin's lifetime fuel budget (default 1,000,000,000, as in the original). A manifest's
    /// <c>[resources] fuel_budget</c> may lower it for its plugin; <see cref="PluginSupervisor.ResetFuel"/> refills it.
    /// </summary>
    public long FuelBudget { get; set; } = 1_000_000_000;

    /// <summary>Gets or sets the most calls that may wait for a busy plugin before new ones fail with <see cref="ErrorKind.Overloaded"/> (default 256).</summary>
    public int MaxQueuedCalls { get; set; } = 256;

    /// <summary>
    /// Gets or sets the longest a call waits in a busy plugin's queue before it fails with <see cref="ErrorKind.Overloaded"/>
    /// and a retry hint (default 30 s; 1 ms to 10 min). The wait counts against nothing else: the call's own timeout
    /// starts when it runs.
    /// </summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the most calls one plugin may run at once, whatever its manifest's <c>max_instances</c> asks
    /// (default 4; 1 to 64). Each running call has its own Wasmtime instance (store) in the plugin's worker, so the
    /// worker's OS memory limit is the manifest's memory limit times the instance count, plus the runtime allowance.
    /// See <c>docs/architecture.md</c>.
    /// </summary>
    public int MaxInstancesPerPlugin { get; set; } = 4;

    /// <summary>
    /// Gets or sets how long a reload lets the calls already running on the old generation finish before its worker
    /// is killed (default 30 s; 0 to 10 min). New calls go to the new generation from the moment it passed its health
    /// check, so only calls that were already running wait.
    /// </summary>
    public TimeSpan ReloadDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long after a reload the old generation is kept (drained, idle) so that a new generation whose
    /// worker fails in that window is rolled back at once, its failed call re-run on the old one (default 10 s; 0 to
    /// 10 min; 0 stops the old generation as soon as it is drained, and no rollback after the switch is possible).
    /// </summary>
    public TimeSpan ReloadProbation { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how long past a call's own timeout the supervisor waits for the worker's answer before it kills the
    /// worker (default 2 s). Covers a worker that is stuck outside wasm, where epochs cannot reach it.
    /// </summary>
    public TimeSpan CallGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the budget for starting a worker: spawn, connect and handshake (default 15 s).</summary>
    public TimeSpan WorkerStartTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how many empty workers are kept started, handshaken and placed in their OS groups, ready for loads
    /// to adopt instead of starting one (default 0: off; 0 to 64). A load, restart or reload that finds one skips the
    /// worker start (about a second of CPU). Each warm worker costs an idle process of about 50 MiB, held even while
    /// no plugin is loaded; the pool refills in the background, one worker at a time. A worker serves one plugin for
    /// its whole life and never returns to the pool; it gets its plugin's OS limits when it is adopted.
    /// </summary>
    public int WarmPoolSize { get; set; }

    /// <summary>Gets or sets the budget for a polite worker stop before it is killed (default 2 s).</summary>
    public TimeSpan WorkerStopTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the fuel <c>soch_init</c> may consume (default 100,000,000).</summary>
    public long InitFuel { get; set; } = 100_000_000;

    /// <summary>Gets or sets the wall-clock budget of <c>soch_init</c> (default 5 s).</summary>
    public TimeSpan InitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets the channel encoding. Default <see langword="null"/>: the best the worker speaks —
    /// <see cref="WireFormat.MessagePackLengthPrefixed"/> for the framework-dependent worker,
    /// <see cref="WireFormat.JsonLengthPrefixed"/> for the Native AOT worker (see <see cref="WorkerPath"/>), which
    /// cannot run MessagePack's run-time generated formatters. Naming MessagePack with a Native AOT worker is an error.
    /// </summary>
    public WireFormat? WireFormat { get; set; }

    /// <summary>
    /// Gets or sets the largest message the supervisor accepts from a worker, in bytes (default 96 MiB;
    /// 65 MiB to 1 GiB). A worker that announces a larger frame is killed and its call fails
    /// with <see cref="ErrorKind.ProtocolError"/>, so a hostile worker cannot make the supervisor buffer more than this.
    /// The default holds the largest host-call payload a manifest may allow (<c>max_host_input_bytes</c> of 64 MiB) even
    /// as base64 in the JSON wire formats; a plugin whose results are larger than the limit fails its calls the same way.
    /// </summary>
    public long MaxMessageBytes { get; set; } = 96L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the most argument rows one <see cref="PluginSupervisor.InvokeBatchAsync"/> may carry (default 10,000;
    /// 1 to 1,000,000). A larger batch fails with <see cref="ErrorKind.InvalidArguments"/> without running.
    /// </summary>
    public int MaxBatchRows { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets the most wall-clock time one batch may take (default 60 s; 1 ms to 1 h). Each row keeps the
    /// manifest's per-call timeout; the batch gets rows × that timeout, capped at this value, so one batch cannot hold
    /// a plugin's turn for hours. Rows that find the batch's time spent fail with <see cref="ErrorKind.Timeout"/>
    /// without running.
    /// </summary>
    public TimeSpan MaxBatchDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets a value indicating whether calls are coalesced under load (default off). A call that finds a free
    /// instance is sent at once, as without it; the calls that arrive while every instance of the plugin is busy wait in
    /// the supervisor, and when an instance frees they go to the worker together in one message (at most
    /// <see cref="MaxCoalescedCalls"/>), run there one after another: one round trip then carries many calls, which
    /// multiplies a busy plugin's throughput (docs/benchmarks.md). Each call keeps its own id, fuel, host-call scope and
    /// error, and its whole timeout as its run time: the wait for an instance is bounded by <see cref="QueueTimeout"/>, as
    /// at the gate, and a call that the calls ahead of it in a message leave no time to start is handed back by the worker
    /// and sent again, never failed for their time. Calls waiting in a worker's lanes count as queued, not in flight,
    /// count against <see cref="MaxQueuedCalls"/> with those at the gate, and an unload fails them with
    /// <see cref="ErrorKind.SandboxTerminated"/>, as it does calls waiting at the gate. The plugin's gate admits
    /// <c>max_instances</c> × <see cref="MaxCoalescedCalls"/> calls, so that the lanes can fill messages. Calls that may answer with a buffer (a <c>bytes</c> or <c>string</c> result,
    /// table hooks) and batches always have an instance to themselves.
    /// </summary>
    public bool CoalesceCalls { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether each worker also gets a direct call lane (default off). The lane is a
    /// second local socket beside the JSON-RPC channel that carries one call at a time and the host calls it makes in
    /// fixed binary frames (same message types, same wire format), with no JSON-RPC dispatch: the worker runs the call on
    /// the lane's own thread, and the supervisor's caller reads the answer itself for a short while
    /// (<see cref="DirectCallSpin"/>) before a dedicated reader thread takes over. A round trip then costs less than the
    /// operating system's own pipe round trip between two .NET processes (docs/benchmarks.md). Everything else — handshake, load, batches, coalesced calls, status,
    /// stop — and a call that finds the lane busy (several calls of one plugin at once) use the channel. Limits, timeouts,
    /// fuel, the kill ladder, audit and statistics are the same on both paths; a worker that breaks the lane's protocol is
    /// killed like one that breaks the channel's. Costs one more socket per worker, and a thread in each process.
    /// </summary>
    public bool DirectCalls { get; set; }

    /// <summary>
    /// Gets or sets how long each end of a direct call lane polls for the other's next frame before it blocks (default
    /// 200 µs; 0 to 1 ms; 0 never polls). The caller's thread reads its call's frames itself for up to this long from the
    /// send (a fixed window, answering the host calls that come meanwhile), so a short call completes before the caller
    /// awaits it, with no thread woken and no thread-pool hand-off; after it, the lane's reader thread takes over. The
    /// worker polls for the next call after answering one, and each end polls for the other's frame during host calls.
    /// A wake-up of a blocked thread costs tens of microseconds on a VM, more than a short call's whole round trip: in one
    /// interleaved run here an <c>add</c> round trip took ≈ 23 µs p50 and ≈ 120–145 µs p99 with 200 µs, ≈ 21–28 and
    /// ≈ 180–230 with 50 µs, ≈ 85–95 and ≈ 340–670 with 0 (docs/benchmarks.md). The price is CPU: up to this much per call
    /// at each end, and per host call. A worker's polling counts against its <c>CpuCores</c> quota, so with a small quota
    /// a lower value avoids throttling. An idle lane never polls. Used with <see cref="DirectCalls"/>.
    /// </summary>
    public TimeSpan DirectCallSpin { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>Gets or sets the most calls one coalesced message carries (default 64; 2 to 1,024). Used with <see cref="CoalesceCalls"/>.</summary>
    public int MaxCoalescedCalls { get; set; } = 64;

    /// <summary>
    /// Gets or sets the worker executable: a path to <c>SochDb.Isolated.Worker.dll</c> (run with the current
    /// <c>dotnet</c> host), to its apphost, or to the Native AOT worker (<c>eng/publish-native-worker.sh</c>; starts
    /// in a fraction of the time and memory). Default: the framework-dependent worker shipped beside this assembly.
    /// </summary>
    public string? WorkerPath { get; set; }

    /// <summary>Gets or sets the least severe level the workers log (default <see cref="LogLevel.Information"/>).</summary>
    public LogLevel WorkerLogLevel { get; set; } = LogLevel.Information;

    /// <summary>
    /// Gets or sets the folder of the embedded store (<c>sochdb.db</c>, SQLite in WAL mode) and, unless
    /// <see cref="Audit"/> names another, of the audit trail (<c>audit/</c>). Default <see langword="null"/>: an
    /// in-memory store and an in-memory audit ring, gone when the supervisor is disposed. Ignored when the host passes
    /// its own <see cref="Hosting.IHostContext"/>.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Gets or sets the folder of precompiled module artifacts, so that a supervisor restart does not compile every
    /// module again. Default <see langword="null"/>: <c>module-cache</c> inside <see cref="DataDirectory"/> when that is
    /// set, otherwise memory only. The folder is created accessible to its owner only (0700); an existing folder that
    /// group or others may enter is not used (a warning is logged and modules stay in memory only). Only the
    /// supervisor reads and writes it, and every artifact is verified before use. See <c>docs/architecture.md</c>.
    /// </summary>
    public string? ModuleCacheDirectory { get; set; }

    /// <summary>
    /// Gets or sets the most bytes the module cache folder may hold (default 1 GiB; 1 MiB to 1 TiB). Past it the least
    /// recently used artifacts are deleted.
    /// </summary>
    public long ModuleCacheMaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Gets or sets the audit trail's options (file rotation, in-memory ring, fsync).</summary>
    public AuditLogOptions Audit { get; set; } = new();

    /// <summary>
    /// Gets or sets how often an idle worker is pinged (default 5 s; 100 ms to 10 min). One that does not answer
    /// within <see cref="HeartbeatTimeout"/> is killed and replaced.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long a heartbeat may take before the worker counts as hung (default 2 s; 10 ms to 5 min).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets how failed workers are replaced: backoff, jitter and the crash-loop breaker.</summary>
    public RestartPolicyOptions RestartPolicy { get; set; } = new();

    /// <summary>Gets or sets how workers are limited and killed at OS level (cgroups, job objects, or the watchdog).</summary>
    public IsolationOptions Isolation { get; set; } = new();

    /// <summary>
    /// Gets or sets how each worker process is hardened: scrubbed environment, no inherited descriptors, no new
    /// privileges, no capabilities, its own network namespace, no core dumps, a low open-file limit, optionally an
    /// unprivileged user. See <c>docs/security.md</c>.
    /// </summary>
    public HardeningOptions Hardening { get; set; } = new();

    /// <summary>
    /// Gets the environment variables added to each worker's environment, which is otherwise scrubbed to what the
    /// runtime needs (at most 64 entries). For operators' runtime settings, never for secrets: plugins cannot read
    /// the environment, but a compromised worker could.
    /// </summary>
    public IDictionary<string, string> WorkerEnvironment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets the module cache folder in effect: <see cref="ModuleCacheDirectory"/>, else <c>module-cache</c> in <see cref="DataDirectory"/>, else none.</summary>
    internal string? EffectiveModuleCacheDirectory => ModuleCacheDirectory ?? (DataDirectory is { } data ? Path.Combine(data, "module-cache") : null);

    /// <summary>Checks every value and throws when one is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSandboxes, 1, nameof(MaxSandboxes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSandboxes, 4096, nameof(MaxSandboxes));
        ArgumentOutOfRangeException.ThrowIfLessThan(FuelBudget, 1, nameof(FuelBudget));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedCalls, 0, nameof(MaxQueuedCalls));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxQueuedCalls, 100_000, nameof(MaxQueuedCalls));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueTimeout, TimeSpan.FromMilliseconds(1), nameof(QueueTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(QueueTimeout, TimeSpan.FromMinutes(10), nameof(QueueTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInstancesPerPlugin, 1, nameof(MaxInstancesPerPlugin));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxInstancesPerPlugin, 64, nameof(MaxInstancesPerPlugin));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReloadDrainTimeout, TimeSpan.Zero, nameof(ReloadDrainTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReloadDrainTimeout, TimeSpan.FromMinutes(10), nameof(ReloadDrainTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReloadProbation, TimeSpan.Zero, nameof(ReloadProbation));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReloadProbation, TimeSpan.FromMinutes(10), nameof(ReloadProbation));
        ArgumentOutOfRangeException.ThrowIfLessThan(DirectCallSpin, TimeSpan.Zero, nameof(DirectCallSpin));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DirectCallSpin, TimeSpan.FromMilliseconds(1), nameof(DirectCallSpin));
        ArgumentOutOfRangeException.ThrowIfLessThan(CallGrace, TimeSpan.FromMilliseconds(10), nameof(CallGrace));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CallGrace, TimeSpan.FromMinutes(5), nameof(CallGrace));
        ArgumentOutOfRangeException.ThrowIfLessThan(WorkerStartTimeout, TimeSpan.FromMilliseconds(100), nameof(WorkerStartTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WorkerStartTimeout, TimeSpan.FromMinutes(5), nameof(WorkerStartTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(WarmPoolSize, 0, nameof(WarmPoolSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WarmPoolSize, 64, nameof(WarmPoolSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(WorkerStopTimeout, TimeSpan.Zero, nameof(WorkerStopTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WorkerStopTimeout, TimeSpan.FromMinutes(5), nameof(WorkerStopTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageBytes, MaxMessageBytesFloor, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessageBytes, MaxMessageBytesCeiling, nameof(MaxMessageBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchRows, 1, nameof(MaxBatchRows));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBatchRows, 1_000_000, nameof(MaxBatchRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCoalescedCalls, 2, nameof(MaxCoalescedCalls));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxCoalescedCalls, 1024, nameof(MaxCoalescedCalls));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchDuration, TimeSpan.FromMilliseconds(1), nameof(MaxBatchDuration));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBatchDuration, TimeSpan.FromHours(1), nameof(MaxBatchDuration));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitFuel, 1, nameof(InitFuel));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitTimeout, TimeSpan.FromMilliseconds(1), nameof(InitTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InitTimeout, TimeSpan.FromMinutes(5), nameof(InitTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ModuleCacheMaxBytes, 1024L * 1024, nameof(ModuleCacheMaxBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ModuleCacheMaxBytes, 1024L * 1024 * 1024 * 1024, nameof(ModuleCacheMaxBytes));
        if (ModuleCacheDirectory is { Length: 0 })
        {
            throw new ArgumentOutOfRangeException(nameof(ModuleCacheDirectory), ModuleCacheDirectory, "The module cache directory must not be empty; leave it null for the default.");
        }

        ArgumentNullException.ThrowIfNull(Audit, nameof(Audit));
        Audit.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(HeartbeatInterval, TimeSpan.FromMilliseconds(100), nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HeartbeatInterval, TimeSpan.FromMinutes(10), nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(HeartbeatTimeout, TimeSpan.FromMilliseconds(10), nameof(HeartbeatTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HeartbeatTimeout, TimeSpan.FromMinutes(5), nameof(HeartbeatTimeout));
        ArgumentNullException.ThrowIfNull(RestartPolicy, nameof(RestartPolicy));
        RestartPolicy.Validate();
        ArgumentNullException.ThrowIfNull(Isolation, nameof(Isolation));
        Isolation.Validate();
        ArgumentNullException.ThrowIfNull(Hardening, nameof(Hardening));
        Hardening.Validate();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WorkerEnvironment.Count, 64, nameof(WorkerEnvironment));
        foreach (var name in WorkerEnvironment.Keys)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentOutOfRangeException(nameof(WorkerEnvironment), name, "An environment variable name must be non-empty and contain neither '=' nor NUL.");
            }
        }
        if (!Enum.IsDefined(WorkerLogLevel))
        {
            throw new ArgumentOutOfRangeException(nameof(WorkerLogLevel), WorkerLogLevel, "Unknown log level.");
        }

        if (WireFormat is { } wire && !Enum.IsDefined(wire))
        {
            throw new ArgumentOutOfRangeException(nameof(WireFormat), WireFormat, "Unknown wire format.");
        }
    }
}

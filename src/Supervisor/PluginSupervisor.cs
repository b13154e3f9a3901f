using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Diagnostics;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Supervisor.Logging;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor;

/// <summary>
/// Runs WebAssembly plugins, each in its own worker process, and is the only authority over them: it compiles and
/// checks modules, starts and stops workers, meters fuel, queues calls, and keeps honest statistics.
/// </summary>
/// <remarks>
/// Thread-safe. Up to <c>max_instances</c> calls to one plugin run at once (capped by
/// <see cref="PluginSupervisorOptions.MaxInstancesPerPlugin"/>), each in its own Wasmtime instance in the plugin's
/// worker; further calls wait in arrival order (bounded by <see cref="PluginSupervisorOptions.MaxQueuedCalls"/> and
/// <see cref="PluginSupervisorOptions.QueueTimeout"/>). Calls to different plugins run in parallel.
/// Dispose (or <see cref="ShutdownAsync"/>) stops every worker.
/// </remarks>
public sealed partial class PluginSupervisor : IAsyncDisposable
{
    private static readonly TimeSpan LoadGrace = TimeSpan.FromSeconds(10);

    private readonly PluginSupervisorOptions options;
    private readonly ILogger logger;
    private readonly ModuleCompiler compiler;
    private readonly Lock sync = new();
    private readonly Dictionary<string, PluginSlot> slots = new(StringComparer.Ordinal);
    private readonly HashSet<string> loading = new(StringComparer.Ordinal);
    private readonly string workerPath;
    private readonly AuditLog auditLog;
    private readonly PluginMetrics metrics = new();
    private readonly HostCounters hostTotals = new();
    private readonly Lazy<Task<IHostContext>> store;
    private readonly bool ownsStore;
    private readonly IWorkerIsolation isolation;
    private readonly CancellationTokenSource lifetime = new();
    private readonly WarmWorkerPool pool;
    private readonly SupervisorMetrics telemetry;

    /// <summary>
    /// Limits worker starts in flight. A start is a burst of CPU (runtime start-up, JIT, module deserialization);
    /// fifty at once on two cores make every one of them slow enough to miss its start budget, while a few at a time
    /// finish in the same total time with each start inside its budget.
    /// </summary>
    private readonly SemaphoreSlim startSlots = new(Math.Max(2, Environment.ProcessorCount));
    private long nextCallId;
    private int disposed;
    private bool shutdown;

    private long sandboxesCreated;
    private long totalInvocations;
    private long totalFuelConsumed;
    private long memoryViolations;
    private long fuelExhaustions;
    private long timeouts;
    private long traps;
    private long workersStarted;
    private long workerCrashes;
    private long overloads;
    private long workerRestarts;

    /// <summary>Initializes a new instance of the <see cref="PluginSupervisor"/> class.</summary>
    /// <param name="options">The options; validated here. Defaults when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where supervisor and worker logs go.</param>
    /// <param name="hostContext">
    /// The database host functions act on, owned by the caller. Default: the embedded SQLite store in
    /// <see cref="PluginSupervisorOptions.DataDirectory"/> (in memory when that is not set), owned by the supervisor.
    /// </param>
    /// <param name="meterFactory">
    /// Where the supervisor's <see cref="Meter"/> (<see cref="IsolatedPluginsTelemetry.MeterName"/>) comes from: the
    /// host's factory under dependency injection; a meter of its own when <see langword="null"/>.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// An option is out of range, or <see cref="PluginSupervisorOptions.WireFormat"/> names a format the worker cannot
    /// speak (MessagePack with the Native AOT worker).
    /// </exception>
    /// <exception cref="FileNotFoundException">The worker executable is missing.</exception>
    public PluginSupervisor(PluginSupervisorOptions? options = null, ILoggerFactory? loggerFactory = null, IHostContext? hostContext = null, IMeterFactory? meterFactory = null)
    {
        this.options = options ?? new PluginSupervisorOptions();
        this.options.Validate();
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SochDb.Isolated.Supervisor");
        workerPath = WorkerLauncher.Resolve(this.options.WorkerPath);
        try
        {
            // Checked now, so a wire format the worker cannot speak fails here rather than at every worker start.
            _ = WorkerLauncher.ResolveWire(this.options.WireFormat, workerPath);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentOutOfRangeException(nameof(options), this.options.WireFormat, ex.Message);
        }

        try
        {
            isolation = WorkerIsolationFactory.Create(this.options.Isolation, logger);
        }
        catch (IsolationException ex)
        {
            throw new PluginException(ErrorKind.SandboxFailed, string.Empty, $"the requested worker isolation ({this.options.Isolation.Mode}) is not available: {ex.Message}", ex);
        }

        SupervisorLog.IsolationSelected(logger, isolation.Mode, isolation.Description);
        compiler = ModuleCompiler.Create(this.options, logger);
        var auditOptions = this.options.Audit;
        if (auditOptions.Directory is null && this.options.DataDirectory is { } data)
        {
            auditOptions = CopyWithDirectory(auditOptions, Path.Combine(data, "audit"));
        }

        auditLog = new AuditLog(auditOptions);
        ownsStore = hostContext is null;
        var dataDirectory = this.options.DataDirectory;
        store = new Lazy<Task<IHostContext>>(
            hostContext is not null
                ? () => Task.FromResult(hostContext)
                : async () => dataDirectory is null
                    ? await SqliteHostContext.OpenInMemoryAsync(CancellationToken.None).ConfigureAwait(false)
                    : await SqliteHostContext.OpenAsync(dataDirectory, CancellationToken.None).ConfigureAwait(false));

        // Last: nothing after this can throw and leave its background starts running.
        pool = WarmWorkerPool.Create(this.options, workerPath, compiler.Settings, compiler.SettingsHash, isolation, startSlots, logger);
        telemetry = new SupervisorMetrics(meterFactory, SnapshotSlots, () => pool.IdleCount);
    }

    /// <summary>Loads a plugin from module bytes and a manifest into a new worker.</summary>
    /// <param name="pluginId">The id to load it under; letters, digits, <c>-</c>, <c>_</c> and <c>.</c>, at most 128.</param>
    /// <param name="wasm">The module bytes.</param>
    /// <param name="manifest">The manifest.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The loaded plugin.</returns>
    /// <exception cref="PluginException">
    /// <see cref="ErrorKind.RuntimeShutdown"/>, <see cref="ErrorKind.PluginAlreadyLoaded"/>, <see cref="ErrorKind.TooManySandboxes"/>,
    /// <see cref="ErrorKind.InvalidWasm"/>, <see cref="ErrorKind.InvalidManifest"/>, <see cref="ErrorKind.MemoryLimitExceeded"/>,
    /// <see cref="ErrorKind.Trap"/> (instantiation or <c>soch_init</c>), <see cref="ErrorKind.WorkerCrashed"/> or <see cref="ErrorKind.ProtocolError"/>.
    /// </exception>
    public async Task<PluginInfo> LoadAsync(string pluginId, ReadOnlyMemory<byte> wasm, PluginManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ValidateId(pluginId);
        lock (sync)
        {
            ThrowIfShutdown();
            if (slots.ContainsKey(pluginId) || loading.Contains(pluginId))
            {
                throw new PluginException(ErrorKind.PluginAlreadyLoaded, pluginId, $"plugin '{pluginId}' is already loaded; unload it or reload it");
            }

            var current = slots.Count + loading.Count;
            if (current >= options.MaxSandboxes)
            {
                throw new TooManySandboxesException(pluginId, current, options.MaxSandboxes);
            }

            loading.Add(pluginId);
        }

        try
        {
            var queue = new QueueAccount();
            var generation = await StartGenerationAsync(pluginId, wasm, manifest, 1, queue, cancellationToken).ConfigureAwait(false);
            var slot = new PluginSlot(pluginId, options.MaxQueuedCalls, generation, queue);
            lock (sync)
            {
                if (!shutdown)
                {
                    slots.Add(pluginId, slot);
                    Interlocked.Increment(ref sandboxesCreated);
                    SupervisorLog.PluginLoaded(logger, pluginId, manifest.Plugin.Name, manifest.Plugin.Version, 1, generation.Worker!.Pid);
                    Watch(slot, generation, generation.Worker);
                    return Describe(slot);
                }
            }

            await generation.Worker!.StopAsync(options.WorkerStopTimeout).ConfigureAwait(false);
            throw new PluginException(ErrorKind.RuntimeShutdown, pluginId, "the runtime shut down while the plugin was loading");
        }
        finally
        {
            lock (sync)
            {
                loading.Remove(pluginId);
            }
        }
    }

    /// <summary>Loads a plugin from a manifest file; the module comes from <paramref name="wasmPath"/> or the manifest's <c>wasm</c> key.</summary>
    /// <param name="pluginId">The id to load it under.</param>
    /// <param name="manifestPath">The manifest file.</param>
    /// <param name="wasmPath">The module file, overriding the manifest's <c>wasm</c> key.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The loaded plugin.</returns>
    /// <exception cref="InvalidManifestException">The manifest is malformed or names no module.</exception>
    /// <exception cref="PluginException">As for <see cref="LoadAsync(string, ReadOnlyMemory{byte}, PluginManifest, CancellationToken)"/>.</exception>
    public async Task<PluginInfo> LoadFromManifestAsync(string pluginId, string manifestPath, string? wasmPath = null, CancellationToken cancellationToken = default)
    {
        ValidateId(pluginId);
        var (manifest, wasm) = await ReadPluginFilesAsync(pluginId, manifestPath, wasmPath, cancellationToken).ConfigureAwait(false);
        return await LoadAsync(pluginId, wasm, manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Calls an export of a plugin. Waits its turn if every instance of the plugin is busy.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The export.</param>
    /// <param name="args">The arguments.</param>
    /// <param name="cancellationToken">Stops waiting; a call already in the worker still finishes within its deadline.</param>
    /// <returns>The results and the call's receipt.</returns>
    /// <exception cref="PluginException">The call failed; <see cref="PluginException.Kind"/> says why.</exception>
    public Task<InvokeResult> InvokeAsync(string pluginId, string function, IReadOnlyList<PluginValue>? args = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        var slot = GetSlot(pluginId);

        // The call runs to completion even if the caller stops waiting, so the gate and the accounting stay right.
        return InvokeCoreAsync(slot, function, args ?? [], cancellationToken).WaitAsync(cancellationToken);
    }

    /// <summary>Unloads a plugin: new calls fail at once, the running call finishes, waiting calls fail, the worker stops.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="cancellationToken">Stops waiting for the running call; the worker is then killed.</param>
    /// <returns>A task that completes when the worker is gone.</returns>
    /// <exception cref="PluginException"><see cref="ErrorKind.PluginNotFound"/>.</exception>
    public async Task UnloadAsync(string pluginId, CancellationToken cancellationToken = default)
    {
        PluginSlot slot;
        lock (sync)
        {
            if (!slots.Remove(pluginId, out slot!))
            {
                throw NotFound(pluginId);
            }
        }

        await RetireAsync(slot, cancellationToken).ConfigureAwait(false);
        metrics.Remove(pluginId);
        SupervisorLog.PluginUnloaded(logger, pluginId);
    }

    /// <summary>Lists the loaded plugins.</summary>
    /// <returns>A snapshot, ordered by id.</returns>
    public IReadOnlyList<PluginInfo> ListPlugins()
    {
        PluginSlot[] snapshot;
        lock (sync)
        {
            snapshot = [.. slots.Values];
        }

        return [.. snapshot.OrderBy(s => s.Id, StringComparer.Ordinal).Select(Describe)];
    }

    /// <summary>Gets a plugin's statistics for its current generation.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <returns>A snapshot.</returns>
    /// <exception cref="PluginException"><see cref="ErrorKind.PluginNotFound"/>.</exception>
    public PluginStats GetPluginStats(string pluginId)
    {
        var slot = GetSlot(pluginId);
        var generation = slot.Current;
        var c = generation.Counters;
        var totals = slot.Lifetime();

        // With call coalescing, calls past the gate may still wait for an instance in a worker's lanes: queued, not running.
        var waitingForInstance = slot.Queue.InLanes;
        return new PluginStats
        {
            LastExitReason = slot.Health.LastExitReason,
            QuarantineReason = slot.Health.QuarantineReason,
            TotalCalls = Interlocked.Read(ref c.TotalCalls),
            SuccessfulCalls = Interlocked.Read(ref c.SuccessfulCalls),
            FailedCalls = Interlocked.Read(ref c.FailedCalls),
            FuelConsumed = Interlocked.Read(ref c.FuelConsumed),
            FuelRemaining = generation.Budget.Remaining,
            TotalExecutionTime = Microseconds(Interlocked.Read(ref c.ExecutionMicroseconds)),
            PeakMemoryBytes = Interlocked.Read(ref c.PeakMemoryBytes),
            HostCalls = generation.Router.HostCalls,
            HostCallErrors = generation.Router.HostCallErrors,
            CapabilityDenials = generation.Router.Denials,
            FuelExhaustions = Interlocked.Read(ref c.FuelExhaustions),
            Timeouts = Interlocked.Read(ref c.Timeouts),
            MemoryViolations = Interlocked.Read(ref c.MemoryViolations),
            Traps = Interlocked.Read(ref c.Traps),
            WorkerCrashes = Interlocked.Read(ref c.WorkerCrashes),
            WorkerRestarts = Interlocked.Read(ref c.WorkerRestarts),
            Generation = generation.Number,
            LifetimeCalls = totals.TotalCalls,
            LifetimeSuccessfulCalls = totals.SuccessfulCalls,
            LifetimeFailedCalls = totals.FailedCalls,
            LifetimeFuelConsumed = totals.FuelConsumed,
            LifetimeWorkerCrashes = totals.WorkerCrashes,
            Reloads = slot.Reloads,
            Rollbacks = slot.Rollbacks,
            LastRollbackReason = slot.LastRollbackReason,
            MaxInstances = generation.MaxInstances,
            CallsInFlight = Math.Max(0, slot.Gate.InUse - waitingForInstance),
            CallsQueued = slot.Gate.Queued + waitingForInstance,
        };
    }

    /// <summary>Gets the runtime's statistics.</summary>
    /// <returns>A snapshot.</returns>
    public RuntimeStats GetRuntimeStats()
    {
        long active;
        PluginSlot[] snapshot;
        lock (sync)
        {
            active = slots.Count;
            snapshot = [.. slots.Values];
        }

        return new RuntimeStats
        {
            SandboxesCreated = Interlocked.Read(ref sandboxesCreated),
            ActiveSandboxes = active,
            TotalInvocations = Interlocked.Read(ref totalInvocations),
            TotalFuelConsumed = Interlocked.Read(ref totalFuelConsumed),
            ModuleCacheHits = compiler.Hits,
            ModuleCacheMisses = compiler.Misses,
            ModuleCacheDiskHits = compiler.DiskHits,
            MemoryViolations = Interlocked.Read(ref memoryViolations),
            FuelExhaustions = Interlocked.Read(ref fuelExhaustions),
            Timeouts = Interlocked.Read(ref timeouts),
            Traps = Interlocked.Read(ref traps),
            WorkersStarted = Interlocked.Read(ref workersStarted),
            WorkerCrashes = Interlocked.Read(ref workerCrashes),
            Overloads = Interlocked.Read(ref overloads),
            IsolationMode = isolation.Mode,
            WorkerRestarts = Interlocked.Read(ref workerRestarts),
            QuarantinedPlugins = snapshot.Count(s => s.Health.QuarantineReason is not null),
            HostCalls = Interlocked.Read(ref hostTotals.HostCalls),
            HostCallErrors = Interlocked.Read(ref hostTotals.HostCallErrors),
            CapabilityDenials = Interlocked.Read(ref hostTotals.CapabilityDenials),
            AuditRecords = auditLog.Count,
            WarmPoolSize = pool.IdleCount,
            WarmPoolAdoptions = pool.Adoptions,
        };
    }

    /// <summary>
    /// Lifts a plugin's quarantine (<see cref="PluginState.Quarantined"/>) and clears its failure history; the next
    /// call starts a fresh worker. Does nothing to a plugin that is not quarantined.
    /// </summary>
    /// <param name="pluginId">The plugin.</param>
    /// <returns><see langword="true"/> if the plugin was quarantined.</returns>
    /// <exception cref="PluginException"><see cref="ErrorKind.PluginNotFound"/>.</exception>
    public bool ResetQuarantine(string pluginId)
    {
        var was = GetSlot(pluginId).Health.Reset();
        if (was)
        {
            SupervisorLog.QuarantineReset(logger, pluginId);
        }

        return was;
    }

    /// <summary>Refills a plugin's lifetime fuel budget.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <exception cref="PluginException"><see cref="ErrorKind.PluginNotFound"/>.</exception>
    public void ResetFuel(string pluginId) => GetSlot(pluginId).Current.Budget.Reset();

    /// <summary>Stops every plugin's worker; later loads fail with <see cref="ErrorKind.RuntimeShutdown"/>.</summary>
    /// <param name="cancellationToken">Stops waiting for running calls; workers are then killed.</param>
    /// <returns>A task that completes when every worker is gone.</returns>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        PluginSlot[] all;
        lock (sync)
        {
            shutdown = true;
            all = [.. slots.Values];
            slots.Clear();
        }

        if (!lifetime.IsCancellationRequested)
        {
            // Ends pending background restarts: nothing should start a worker once the runtime is going down.
            await lifetime.CancelAsync().ConfigureAwait(false);
        }

        await pool.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(all.Select(s => RetireAsync(s, cancellationToken))).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await ShutdownAsync().ConfigureAwait(false);
        await isolation.DisposeAsync().ConfigureAwait(false);
        lifetime.Dispose();
        startSlots.Dispose();
        telemetry.Dispose();
        compiler.Dispose();
        await auditLog.DisposeAsync().ConfigureAwait(false);
        if (ownsStore && store.IsValueCreated && (await store.Value.ConfigureAwait(false)) is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Gets the loaded plugins' slots at this moment.</summary>
    /// <returns>A copy.</returns>
    private PluginSlot[] SnapshotSlots()
    {
        lock (sync)
        {
            return [.. slots.Values];
        }
    }

    /// <summary>Gets the warm worker pool (for tests and diagnostics).</summary>
    internal WarmWorkerPool WarmPool => pool;

    /// <summary>Gets the store host functions act on (the embedded one unless the host passed its own).</summary>
    /// <param name="cancellationToken">Cancels waiting for the store to open.</param>
    /// <returns>The store.</returns>
    public Task<IHostContext> GetStoreAsync(CancellationToken cancellationToken = default) => store.Value.WaitAsync(cancellationToken);

    /// <summary>Reads a row from the store (the application's side of the store API).</summary>
    /// <param name="table">The table.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The row, or <see langword="null"/>.</returns>
    public async Task<byte[]?> ReadRowAsync(string table, long rowId, CancellationToken cancellationToken = default)
        => await (await GetStoreAsync(cancellationToken).ConfigureAwait(false)).ReadAsync(table, rowId, cancellationToken).ConfigureAwait(false);

    /// <summary>Inserts or replaces a row in the store.</summary>
    /// <param name="table">The table.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="data">The row's bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> when a row was replaced.</returns>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.WriteRejected"/>: a before-hook refused the row, or failed (fail-closed).</exception>
    /// <remarks>Matching before-hooks run first, in load order, each seeing the row the previous one returned; after-hooks run once the row is stored.</remarks>
    public async Task<bool> WriteRowAsync(string table, long rowId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var outcome = await WriteThroughHooksAsync(table, rowId, data.ToArray(), null, [], null, cancellationToken).ConfigureAwait(false);
        return outcome.Status == HostStatus.Ok
            ? outcome.Detail == "update"
            : throw new PluginException(ErrorKind.WriteRejected, outcome.RejectedBy, $"the write to {table}/{rowId} was rejected: {outcome.Detail}");
    }

    /// <summary>Deletes a row from the store.</summary>
    /// <param name="table">The table.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns><see langword="true"/> when a row was deleted.</returns>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.WriteRejected"/>: a before-delete hook refused, or failed (fail-closed).</exception>
    public async Task<bool> DeleteRowAsync(string table, long rowId, CancellationToken cancellationToken = default)
    {
        var outcome = await WriteThroughHooksAsync(table, rowId, null, null, [], null, cancellationToken).ConfigureAwait(false);
        return outcome.Status switch
        {
            HostStatus.Ok => true,
            HostStatus.NotFound => false,
            _ => throw new PluginException(ErrorKind.WriteRejected, outcome.RejectedBy, $"the delete of {table}/{rowId} was rejected: {outcome.Detail}"),
        };
    }

    /// <summary>Inserts or replaces a row's vector in an index (created on first use).</summary>
    /// <param name="index">The index.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="vector">The vector.</param>
    /// <param name="metric">The metric of a new index.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the vector is stored.</returns>
    /// <exception cref="ArgumentException">The dimensions differ from the index's, or the vector holds NaN or infinity.</exception>
    public async Task PutVectorAsync(string index, long rowId, ReadOnlyMemory<float> vector, VectorMetric metric = VectorMetric.Cosine, CancellationToken cancellationToken = default)
        => await (await GetStoreAsync(cancellationToken).ConfigureAwait(false)).PutVectorAsync(index, rowId, vector, metric, cancellationToken).ConfigureAwait(false);

    /// <summary>Adds (or removes) a secondary-index entry, which plugins granted <c>can_index_search</c> query with <c>index_lookup</c>.</summary>
    /// <param name="index">The index.</param>
    /// <param name="key">The key bytes.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="remove">Whether to remove the entry instead.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether an entry was added (or removed).</returns>
    public async Task<bool> PutIndexEntryAsync(string index, ReadOnlyMemory<byte> key, long rowId, bool remove = false, CancellationToken cancellationToken = default)
        => await (await GetStoreAsync(cancellationToken).ConfigureAwait(false)).PutIndexEntryAsync(index, key, rowId, remove, cancellationToken).ConfigureAwait(false);

    /// <summary>Finds the row ids a secondary-index key points to.</summary>
    /// <param name="index">The index.</param>
    /// <param name="key">The key bytes.</param>
    /// <param name="limit">The most row ids.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The row ids, ascending.</returns>
    public async Task<IReadOnlyList<long>> LookupIndexAsync(string index, ReadOnlyMemory<byte> key, int limit, CancellationToken cancellationToken = default)
        => await (await GetStoreAsync(cancellationToken).ConfigureAwait(false)).LookupIndexAsync(index, key, limit, cancellationToken).ConfigureAwait(false);

    /// <summary>Finds the exact nearest vectors in an index.</summary>
    /// <param name="index">The index.</param>
    /// <param name="query">The query vector.</param>
    /// <param name="topK">How many hits at most.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The hits, nearest first.</returns>
    public async Task<IReadOnlyList<VectorHit>> SearchVectorsAsync(string index, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken = default)
        => await (await GetStoreAsync(cancellationToken).ConfigureAwait(false)).SearchAsync(index, query, topK, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads the newest audit records from the in-memory ring.</summary>
    /// <param name="pluginId">Only this plugin's records, or all when <see langword="null"/>.</param>
    /// <param name="limit">The most records to return.</param>
    /// <returns>The records.</returns>
    public IReadOnlyList<AuditRecord> QueryAudit(string? pluginId = null, int limit = 100) => auditLog.Query(pluginId, limit);

    /// <summary>Gets the metrics a plugin emitted through <c>emit_metric</c>.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <returns>The metrics by name.</returns>
    public IReadOnlyDictionary<string, PluginMetric> GetPluginMetrics(string pluginId) => metrics.Get(pluginId);

    private static AuditLogOptions CopyWithDirectory(AuditLogOptions source, string directory) => new()
    {
        Directory = directory,
        MaxFileBytes = source.MaxFileBytes,
        MaxFiles = source.MaxFiles,
        RingCapacity = source.RingCapacity,
        FlushToDisk = source.FlushToDisk,
    };

    /// <summary>Gets a value indicating whether <paramref name="id"/> is a valid plugin id: 1 to 128 ASCII letters, digits, <c>-</c>, <c>_</c> or <c>.</c>.</summary>
    /// <param name="id">The id.</param>
    /// <returns>Whether it is valid.</returns>
    internal static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void ValidateId(string pluginId)
    {
        ArgumentNullException.ThrowIfNull(pluginId);
        if (!IsValidId(pluginId))
        {
            throw new ArgumentException($"Invalid plugin id '{pluginId}': use 1 to 128 ASCII letters, digits, '-', '_' or '.'.", nameof(pluginId));
        }
    }

    private static PluginException NotFound(string pluginId) => new(ErrorKind.PluginNotFound, pluginId, $"plugin not found: {pluginId}");

    private static async Task<(PluginManifest Manifest, byte[] Wasm)> ReadPluginFilesAsync(string pluginId, string manifestPath, string? wasmPath, CancellationToken cancellationToken)
    {
        var parsed = await ManifestParser.ParseFileAsync(manifestPath, cancellationToken).ConfigureAwait(false);
        if (!parsed.Success)
        {
            throw new InvalidManifestException(pluginId, parsed.Diagnostics);
        }

        var manifest = parsed.Manifest!;
        var modulePath = wasmPath ?? manifest.WasmPath
            ?? throw new InvalidManifestException(pluginId, [new ManifestDiagnostic(manifestPath, 0, 0, "no module given: add wasm = \"plugin.wasm\" under [plugin] or pass the module path")]);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(modulePath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginException(ErrorKind.InvalidWasm, pluginId, $"cannot read module '{modulePath}': {ex.Message}", ex);
        }

        return (manifest, modulePath.EndsWith(".wat", StringComparison.OrdinalIgnoreCase) ? WatText.ToWasm(pluginId, modulePath, bytes) : bytes);
    }

    private PluginInfo Describe(PluginSlot slot)
    {
        var generation = slot.Current;
        var worker = generation.Worker;
        return new PluginInfo(
            slot.Id,
            generation.Manifest.Plugin.Name,
            generation.Manifest.Plugin.Version,
            slot.State,
            generation.Number,
            worker is { HasExited: false } ? worker.Pid : null,
            generation.MemoryBytes,
            Interlocked.Read(ref generation.Counters.TotalCalls),
            Stopwatch.GetElapsedTime(generation.StartedTimestamp),
            slot.Health.Restarts,
            slot.Health.LastExitReason,
            slot.Health.QuarantineReason,
            generation.MaxInstances,
            slot.Live() is [_, var previous] ? previous.Number : null,
            slot.LastRollbackReason);
    }

    private void ThrowIfShutdown()
    {
        if (shutdown)
        {
            throw new PluginException(ErrorKind.RuntimeShutdown, null, "the runtime is shut down");
        }
    }

    private PluginSlot GetSlot(string pluginId)
    {
        ArgumentNullException.ThrowIfNull(pluginId);
        lock (sync)
        {
            return slots.TryGetValue(pluginId, out var slot) ? slot : throw NotFound(pluginId);
        }
    }

    private long FuelBudgetFor(PluginManifest manifest) => Math.Min(options.FuelBudget, manifest.Resources.FuelBudget ?? long.MaxValue);

    private async Task<PluginGeneration> StartGenerationAsync(string pluginId, ReadOnlyMemory<byte> wasm, PluginManifest manifest, long number, QueueAccount queue, CancellationToken cancellationToken)
    {
        var module = compiler.Compile(pluginId, wasm.Span);
        ModuleCompiler.CheckManifest(pluginId, manifest, module);
        var services = new HostServices(await store.Value.WaitAsync(cancellationToken).ConfigureAwait(false), auditLog, logger, metrics, hostTotals, telemetry, CallPluginAsync, WriteThroughHooksAsync);
        var router = new HostCallRouter(pluginId, number, manifest, services);
        var (worker, memory) = await StartWorkerAsync(pluginId, manifest, module, router, cancellationToken).ConfigureAwait(false);
        var generation = new PluginGeneration(number, manifest, module, worker, FuelBudgetFor(manifest), memory, router, InstancesFor(manifest), options.CoalesceCalls ? options.MaxCoalescedCalls : 1) { Queue = queue };
        CoalesceCalls(worker, generation);
        return generation;
    }

    /// <summary>Turns call coalescing on for a generation's (new) worker when the options ask for it.</summary>
    private void CoalesceCalls(WorkerProcess worker, PluginGeneration generation)
    {
        if (options.CoalesceCalls)
        {
            // Half the message limit leaves room for the calls' own fields and base64 in the JSON formats.
            var budget = generation.Budget;
            worker.Coalesce(generation.MaxInstances, options.MaxCoalescedCalls, options.MaxMessageBytes / 2, options.QueueTimeout, options.MaxQueuedCalls, generation.Queue, TimeSpan.FromMilliseconds(generation.Manifest.Resources.TimeoutMs), () => budget.Remaining);
        }
    }

    /// <summary>The calls a plugin may run at once: its manifest's <c>max_instances</c>, capped by the supervisor.</summary>
    private int InstancesFor(PluginManifest manifest) => Math.Clamp(manifest.Resources.MaxInstances, 1, options.MaxInstancesPerPlugin);

    private async Task<(WorkerProcess Worker, long MemoryBytes)> StartWorkerAsync(string pluginId, PluginManifest manifest, CompiledModule module, HostCallRouter router, CancellationToken cancellationToken)
    {
        // Every instance is a store with the manifest's memory limit, and runs on a thread of its own.
        var limits = WorkerLimits.For(manifest.Resources.MemoryLimitBytes, options.Isolation, InstancesFor(manifest));
        await startSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await StartAndLoadAsync(pluginId, manifest, module, router, limits, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            startSlots.Release();
        }
    }

    private async Task<(WorkerProcess Worker, long MemoryBytes)> StartAndLoadAsync(string pluginId, PluginManifest manifest, CompiledModule module, HostCallRouter router, WorkerLimits limits, CancellationToken cancellationToken)
    {
        var adopted = await pool.TryAdoptAsync(pluginId, router.HandleAsync, limits).ConfigureAwait(false);
        var worker = adopted
            ?? await WorkerProcess.StartAsync(pluginId, workerPath, options, compiler.Settings, compiler.SettingsHash, logger, router.HandleAsync, isolation, limits, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref workersStarted);
        telemetry.WorkerStarted(pluginId, fromPool: adopted is not null);
        var request = new LoadRequest
        {
            PluginId = pluginId,
            Artifact = module.Artifact,
            MemoryLimitBytes = manifest.Resources.MemoryLimitBytes,
            Signatures =
            [
                .. manifest.Exports.Signatures.Select(s => new FunctionSignatureDto { Function = s.Key, Params = [.. s.Value.Params], Returns = [.. s.Value.Returns] }),

                // Hooks have one fixed signature: (table: string, row_id: i64, row: bytes) -> i64 status or packed row.
                .. manifest.Hooks.All.Distinct(StringComparer.Ordinal).Select(h => new FunctionSignatureDto
                {
                    Function = h,
                    Params = [PluginValueType.String, PluginValueType.I64, PluginValueType.Bytes],
                    Returns = [PluginValueType.I64],
                }),
            ],
            InitFuel = options.InitFuel,
            InitTimeoutMs = (long)options.InitTimeout.TotalMilliseconds,
            MaxInstances = InstancesFor(manifest),
        };

        LoadResponse response;

        // soch_init's host calls belong to call 0, under the init budget.
        var loading = router.BeginCall(0, options.InitTimeout);
        try
        {
            response = await worker.LoadAsync(request, options.InitTimeout + LoadGrace).ConfigureAwait(false);
        }
        catch (MemoryLimitExceededException)
        {
            Interlocked.Increment(ref memoryViolations);
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        catch
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            router.EndCall(loading);
        }

        if (response.Error is { } error)
        {
            await worker.StopAsync(options.WorkerStopTimeout).ConfigureAwait(false);
            if (error.Kind == ErrorKind.MemoryLimitExceeded)
            {
                Interlocked.Increment(ref memoryViolations);
            }

            throw ErrorMapper.ToException(pluginId, error);
        }

        return (worker, response.MemoryBytes);
    }

    private async Task<WorkerProcess> EnsureWorkerAsync(PluginSlot slot, PluginGeneration generation, CancellationToken cancellationToken)
    {
        var worker = generation.Worker;
        if (worker is { HasExited: false })
        {
            return worker;
        }

        // One caller starts the replacement; the others (several instances' calls) wait for it and share it.
        await generation.StartLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReplaceWorkerAsync(slot, generation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            generation.StartLock.Release();
        }
    }

    private async Task<WorkerProcess> ReplaceWorkerAsync(PluginSlot slot, PluginGeneration generation, CancellationToken cancellationToken)
    {
        var worker = generation.Worker;
        if (worker is { HasExited: false })
        {
            return worker;
        }

        if (generation.IsRetired || generation.RolledBack)
        {
            throw new PluginException(ErrorKind.WorkerCrashed, slot.Id, $"generation {generation.Number} of plugin '{slot.Id}' lost its worker and was retired");
        }

        // A new generation on probation is not restarted: a failure there sends calls back to the previous one.
        if (TryRollBack(slot, generation, "its worker died"))
        {
            throw new PluginException(ErrorKind.WorkerCrashed, slot.Id, $"generation {generation.Number} of plugin '{slot.Id}' lost its worker on probation and was rolled back");
        }

        ThrowIfQuarantined(slot);
        if (worker is not null)
        {
            // Let the exit watcher classify the end first (it may still be draining the dead worker's output); it is
            // counted and acted on in OnWorkerExitedAsync.
            try
            {
                await worker.Exited.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Disposing kills and reaps whatever is left.
            }

            await worker.DisposeAsync().ConfigureAwait(false);
            generation.Worker = null;
        }

        // The backoff holds even for a caller who arrives first: a worker that crashes on every start must not be
        // restarted in a tight loop by a steady stream of calls.
        var wait = slot.Health.RemainingBackoff();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }

        var restart = slot.Health.CountRestart();
        Interlocked.Increment(ref generation.Counters.WorkerRestarts);
        Interlocked.Increment(ref workerRestarts);
        telemetry.WorkerRestarted(slot.Id);
        SupervisorLog.WorkerRestarting(logger, slot.Id, restart);
        WorkerProcess replacement;
        long memory;
        try
        {
            (replacement, memory) = await StartWorkerAsync(slot.Id, generation.Manifest, generation.Module, generation.Router, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginException ex) when (!cancellationToken.IsCancellationRequested)
        {
            RecordFailure(slot, WorkerExitReason.StartFailed, null, ex.Message);
            throw;
        }

        CoalesceCalls(replacement, generation);
        generation.Worker = replacement;
        generation.MemoryBytes = memory;
        Watch(slot, generation, replacement);
        return replacement;
    }

    /// <summary>Observes a worker's end so it is classified, counted and acted on exactly once.</summary>
    private void Watch(PluginSlot slot, PluginGeneration generation, WorkerProcess worker)
        => generation.ExitWatch = OnWorkerExitedAsync(slot, generation, worker);

    private async Task OnWorkerExitedAsync(PluginSlot slot, PluginGeneration generation, WorkerProcess worker)
    {
        await worker.Exited.ConfigureAwait(false);
        if (!RestartPolicy.IsFailure(worker.ExitReason) || slot.Terminated)
        {
            return;
        }

        // Counted even when the generation is on its way out, so its figures (and the lifetime totals, which fold
        // them after this watcher ends) include the crash that ended it.
        Interlocked.Increment(ref generation.Counters.WorkerCrashes);
        Interlocked.Increment(ref workerCrashes);
        telemetry.WorkerCrashed(slot.Id, worker.ExitReason);
        if (worker.ExitReason == WorkerExitReason.OutOfMemory)
        {
            Interlocked.Increment(ref generation.Counters.MemoryViolations);
            Interlocked.Increment(ref memoryViolations);
        }

        // A new generation failing on probation is rolled back rather than restarted; a retired one, or a drained
        // previous generation on probation (restarted on demand if a rollback needs it), is left alone.
        if (generation.IsRetired || TryRollBack(slot, generation, $"its worker ended: {worker.ExitReason}") || slot.Current != generation)
        {
            return;
        }

        var decision = RecordFailure(slot, worker.ExitReason, worker.ExitCode, null);
        if (decision.Action == RestartAction.Restart)
        {
            _ = RestartInBackgroundAsync(slot, generation, decision.Delay);
        }
    }

    private RestartDecision RecordFailure(PluginSlot slot, WorkerExitReason reason, int? exitCode, string? detail)
    {
        var decision = slot.Health.Record(reason, exitCode, options.RestartPolicy);
        if (decision.Action == RestartAction.Quarantine)
        {
            telemetry.Quarantined(slot.Id);
            SupervisorLog.PluginQuarantined(logger, slot.Id, detail is null ? decision.Reason : $"{decision.Reason}: {detail}");
        }
        else if (decision.Action == RestartAction.Restart)
        {
            SupervisorLog.RestartScheduled(logger, slot.Id, decision.Reason, decision.Delay.TotalMilliseconds);
        }

        return decision;
    }

    /// <summary>Starts the replacement ahead of the next call, once the backoff has passed, so that call finds a ready worker.</summary>
    private async Task RestartInBackgroundAsync(PluginSlot slot, PluginGeneration generation, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, lifetime.Token).ConfigureAwait(false);
            if (!slot.Terminated && slot.Current == generation && slot.Health.QuarantineReason is null && generation.Worker is not { HasExited: false })
            {
                await EnsureWorkerAsync(slot, generation, lifetime.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is PluginException or OperationCanceledException or ObjectDisposedException)
        {
            // A failed start was recorded by EnsureWorkerAsync (and may have scheduled the next attempt through the
            // policy); a cancelled one means the supervisor is shutting down.
        }
    }

    private static void ThrowIfQuarantined(PluginSlot slot)
    {
        if (slot.Health.QuarantineReason is { } reason)
        {
            throw new PluginException(ErrorKind.SandboxFailed, slot.Id, $"plugin '{slot.Id}' is quarantined ({reason}); reset it or reload it");
        }
    }

    /// <summary>The longest chain of hooks firing hooks (a hook's write firing another plugin's hook, and so on).</summary>
    private const int MaxHookDepth = 4;

    private async Task<WriteOutcome> WriteThroughHooksAsync(string table, long rowId, byte[]? data, string? origin, IReadOnlyList<string> chain, TimeSpan? budget, CancellationToken cancellationToken)
    {
        var db = await GetStoreAsync(cancellationToken).ConfigureAwait(false);
        var existing = await db.ReadAsync(table, rowId, cancellationToken).ConfigureAwait(false);
        if (data is null && existing is null)
        {
            return new WriteOutcome(HostStatus.NotFound, $"no row {rowId}");
        }

        // Which hooks fire: insert, update or delete, on plugins watching the table — never the writer's own.
        Func<TableHooks, IReadOnlyList<string>> before = data is null ? h => h.BeforeDelete : existing is null ? h => h.BeforeInsert : h => h.BeforeUpdate;
        Func<TableHooks, IReadOnlyList<string>> after = data is null ? h => h.AfterDelete : existing is null ? h => h.AfterInsert : h => h.AfterUpdate;
        PluginSlot[] watchers;
        lock (sync)
        {
            watchers = [.. slots.Values
                .Where(s => s.Id != origin && !s.Terminated)
                .Where(s => CapabilityMatcher.Matches(s.Current.Manifest.Hooks.Tables ?? s.Current.Manifest.Capabilities.CanReadTable, table))
                .OrderBy(s => s.LoadSequence)];
        }

        var row = data ?? existing!;
        foreach (var slot in watchers)
        {
            var hooks = slot.Current.Manifest.Hooks;
            foreach (var hook in before(hooks))
            {
                var verdict = await RunHookAsync(slot, hook, table, rowId, row, chain, budget, cancellationToken).ConfigureAwait(false);
                if (verdict.Replacement is { } replacement && data is not null)
                {
                    row = replacement;
                }
                else if (verdict.Failure is { } failure && !(hooks.FailOpen && verdict.HookFailed))
                {
                    return failure;
                }
            }
        }

        if (data is null)
        {
            await db.DeleteAsync(table, rowId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await db.WriteAsync(table, rowId, row, cancellationToken).ConfigureAwait(false);
        }

        foreach (var slot in watchers)
        {
            foreach (var hook in after(slot.Current.Manifest.Hooks))
            {
                // The row is committed: an after-hook can no longer stop it, only be logged when it fails.
                await RunHookAsync(slot, hook, table, rowId, row, chain, budget, cancellationToken).ConfigureAwait(false);
            }
        }

        return new WriteOutcome(HostStatus.Ok, existing is null ? "insert" : "update");
    }

    private async Task<HookVerdict> RunHookAsync(PluginSlot slot, string hook, string table, long rowId, byte[] row, IReadOnlyList<string> chain, TimeSpan? budget, CancellationToken cancellationToken)
    {
        if (chain.Contains(slot.Id, StringComparer.Ordinal))
        {
            return HookVerdict.Failed(new WriteOutcome(HostStatus.LimitExceeded, $"hook {slot.Id}.{hook} cannot run: {slot.Id} is already on the call path ({string.Join(" -> ", chain)})", slot.Id));
        }

        if (chain.Count >= MaxHookDepth)
        {
            return HookVerdict.Failed(new WriteOutcome(HostStatus.LimitExceeded, $"hook depth limit of {MaxHookDepth} reached ({string.Join(" -> ", chain)})", slot.Id));
        }

        try
        {
            var result = await InvokeCoreAsync(slot, hook, [PluginValue.String(table), PluginValue.I64(rowId), PluginValue.Bytes(row)], cancellationToken, chain, budget, statusOrBuffer: true).ConfigureAwait(false);
            var value = result.Values[0];
            if (value.AsBytes() is { } replacement)
            {
                return new HookVerdict(replacement.ToArray(), null, false);
            }

            var status = value.AsI64() ?? 0;
            return status == 0
                ? new HookVerdict(null, null, false)
                : new HookVerdict(null, new WriteOutcome(status is >= HostStatus.Timeout and < 0 ? (int)status : HostStatus.Denied, $"hook {slot.Id}.{hook} refused the row (status {status})", slot.Id), false);
        }
        catch (PluginException ex)
        {
            SupervisorLog.HookFailed(logger, slot.Id, hook, table, ex.Kind.ToString(), ex.Message);
            return HookVerdict.Failed(new WriteOutcome(HostStatus.HostError, $"hook {slot.Id}.{hook} failed: {ex.Kind}: {ex.Message}", slot.Id));
        }
    }

    /// <summary>What one hook decided: a replacement row, a refusal, or nothing (continue).</summary>
    private sealed record HookVerdict(byte[]? Replacement, WriteOutcome? Failure, bool HookFailed)
    {
        public static HookVerdict Failed(WriteOutcome failure) => new(null, failure, true);
    }

    private async Task<byte[]> CallPluginAsync(string callee, string function, byte[] input, IReadOnlyList<string> chain, TimeSpan budget, CancellationToken cancellationToken)
    {
        var slot = GetSlot(callee);
        if (!slot.Current.Manifest.Exports.Signatures.TryGetValue(function, out var signature)
            || !signature.Params.SequenceEqual([PluginValueType.Bytes]) || !signature.Returns.SequenceEqual([PluginValueType.Bytes]))
        {
            throw new PluginException(ErrorKind.InvalidArguments, callee, $"'{callee}.{function}' is not declared bytes -> bytes in its manifest, so other plugins cannot call it");
        }

        var result = await InvokeCoreAsync(slot, function, [PluginValue.Bytes(input)], cancellationToken, chain, budget).ConfigureAwait(false);
        return result.Values[0].AsBytes()!.Value.ToArray();
    }

    private Task<InvokeResult> InvokeCoreAsync(PluginSlot slot, string function, IReadOnlyList<PluginValue> args, CancellationToken cancellationToken, IReadOnlyList<string>? chain = null, TimeSpan? budgetCap = null, bool statusOrBuffer = false)
        => RunRoutedAsync(slot, function, batch: false, (generation, callId, attempt) => InvokeOnAsync(slot, generation, callId, attempt, function, args, chain, budgetCap, statusOrBuffer, cancellationToken), cancellationToken);

    /// <summary>How many times a call that never reached its worker (<see cref="CallNotSentException"/>) is routed again.</summary>
    private const int MaxResends = 3;

    /// <summary>
    /// Takes a turn at the plugin's gate, routes the call to one generation, and runs it there. If that generation was
    /// on probation and lost its worker, calls go back to the previous generation and the call runs once more there —
    /// only when it made no host call with an effect (a write, a delete, a call to another plugin), so running it again
    /// cannot do anything twice. The call is measured and traced here, as its caller sees it: queueing and any re-run
    /// included.
    /// </summary>
    private async Task<T> RunRoutedAsync<T>(PluginSlot slot, string function, bool batch, Func<PluginGeneration, long, CallAttempt, Task<T>> run, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = SupervisorTracing.StartCall(slot.Id, function, batch);
        try
        {
            await EnterGateAsync(slot, cancellationToken).ConfigureAwait(false);
            var callId = Interlocked.Increment(ref nextCallId);
            activity?.SetTag(IsolatedPluginsTelemetry.CallIdTag, callId);
            var resends = 0;
            try
            {
                while (true)
                {
                    var generation = slot.Route();
                    activity?.SetTag(IsolatedPluginsTelemetry.GenerationTag, generation.Number);
                    var attempt = new CallAttempt();
                    try
                    {
                        var result = await run(generation, callId, attempt).ConfigureAwait(false);
                        telemetry.Call(slot.Id, function, batch, TelemetryNames.Ok, started);
                        SupervisorTracing.End(activity, TelemetryNames.Ok, null);
                        return result;
                    }
                    catch (CallNotSentException) when (++resends <= MaxResends)
                    {
                        // It waited for a worker that went away and never reached it: route it again.
                    }
                    catch (PluginException ex) when (attempt.Effects == 0 && IsWorkerLoss(ex, attempt.Worker) && TryRollBack(slot, generation, $"{ex.Kind}: {ex.Message}"))
                    {
                        ReloadLog.CallRetriedAfterRollback(logger, callId, slot.Id, function, generation.Number, slot.Current.Number);
                        activity?.AddEvent(new ActivityEvent("sochdb.rolled_back"));
                    }
                    finally
                    {
                        generation.ExitCall();
                    }
                }
            }
            finally
            {
                slot.Gate.Release();
            }
        }
        catch (Exception ex)
        {
            var outcome = ex switch
            {
                PluginException plugin => TelemetryNames.Of(plugin.Kind),
                OperationCanceledException => TelemetryNames.Cancelled,
                _ => TelemetryNames.Error,
            };
            telemetry.Call(slot.Id, function, batch, outcome, started);
            SupervisorTracing.End(activity, outcome, ex);
            throw;
        }
    }

    private async Task EnterGateAsync(PluginSlot slot, CancellationToken cancellationToken)
    {
        var entry = await slot.Gate.EnterAsync(bypassBound: false, options.QueueTimeout, cancellationToken).ConfigureAwait(false);
        if (entry == GateEntry.Entered)
        {
            return;
        }

        Interlocked.Increment(ref overloads);
        var retryAfter = TimeSpan.FromMilliseconds(slot.Current.Manifest.Resources.TimeoutMs);
        throw entry == GateEntry.QueueFull
            ? new OverloadedException(slot.Id, slot.Queue.Total, retryAfter)
            : new OverloadedException(slot.Id, slot.Queue.Total, retryAfter, options.QueueTimeout);
    }

    private async Task<InvokeResult> InvokeOnAsync(PluginSlot slot, PluginGeneration generation, long callId, CallAttempt attempt, string function, IReadOnlyList<PluginValue> args, IReadOnlyList<string>? chain, TimeSpan? budgetCap, bool statusOrBuffer, CancellationToken cancellationToken)
    {
        var counters = generation.Counters;
        try
        {
            if (slot.Terminated)
            {
                throw new PluginException(ErrorKind.SandboxTerminated, slot.Id, $"plugin '{slot.Id}' was unloaded while the call waited");
            }

            ThrowIfQuarantined(slot);
            Interlocked.Increment(ref totalInvocations);
            Interlocked.Increment(ref counters.TotalCalls);
            var resources = generation.Manifest.Resources;
            var timeout = TimeSpan.FromMilliseconds(resources.TimeoutMs);
            if (budgetCap is { } cap && cap < timeout)
            {
                // A callee never gets more time than its caller has left.
                timeout = cap;
            }

            var fuel = generation.Budget.ForNextCall(resources.FuelLimit);
            if (fuel <= 0)
            {
                Interlocked.Increment(ref counters.FuelExhaustions);
                Interlocked.Increment(ref fuelExhaustions);
                throw new FuelExhaustedException(slot.Id, 0, $"plugin '{slot.Id}' has spent its lifetime fuel budget of {generation.Budget.Total}; reset its fuel to continue");
            }

            var worker = await EnsureWorkerAsync(slot, generation, cancellationToken).ConfigureAwait(false);
            attempt.Worker = worker;
            var request = new InvokeRequest
            {
                CallId = callId,
                Function = function,
                Args = [.. args.Select(a => new WireValue { Type = a.Type, Bits = a.RawBits, Bytes = a.RawBytes })],
                Fuel = fuel,
                TimeoutMs = Math.Max(1, (long)timeout.TotalMilliseconds),
                StatusOrBuffer = statusOrBuffer,
                TraceParent = SupervisorTracing.CurrentTraceParent(),
            };

            // A call may share a message with others (when calls are coalesced) if it answers with numbers only.
            var combinable = options.CoalesceCalls && !statusOrBuffer
                && (!generation.Manifest.Exports.Signatures.TryGetValue(function, out var signature) || signature.Returns.All(PackedValues.IsPackable));
            long argumentBytes = 0;
            for (var i = 0; combinable && i < request.Args.Length; i++)
            {
                argumentBytes += request.Args[i].Bytes?.LongLength ?? 0;
            }

            var (response, roundTrip, hostCall) = await SendAsync(generation, callId, timeout, chain, attempt, context => worker.InvokeAsync(request, timeout + options.CallGrace, argumentBytes, combinable, startBy => Resend(slot.Id, context, timeout + startBy), cancellationToken)).ConfigureAwait(false);
            var hostCalls = Interlocked.Read(ref hostCall.HostCalls);
            generation.Budget.Consume(response.FuelConsumed);
            Interlocked.Add(ref counters.FuelConsumed, response.FuelConsumed);
            Interlocked.Add(ref totalFuelConsumed, response.FuelConsumed);
            telemetry.Fuel(slot.Id, function, response.FuelConsumed);
            Interlocked.Add(ref counters.ExecutionMicroseconds, response.DurationUs);
            counters.ObserveMemory(response.PeakMemoryBytes);
            generation.MemoryBytes = response.MemoryBytes;

            if (response.Error is { } error)
            {
                CountError(counters, error.Kind);
                throw ErrorMapper.ToException(slot.Id, error);
            }

            Interlocked.Increment(ref counters.SuccessfulCalls);
            var values = response.Results.Select(r => PluginValue.FromRaw(r.Type, r.Bits, r.Bytes)).ToArray();
            var receipt = new CallReceipt(
                response.FuelConsumed,
                Microseconds(response.DurationUs),
                response.PeakMemoryBytes,
                hostCalls,
                generation.Number,
                roundTrip,
                Interlocked.Read(ref hostCall.BytesIn),
                Interlocked.Read(ref hostCall.BytesOut),
                TimeSpan.FromMicroseconds(Interlocked.Read(ref hostCall.HostMicroseconds)));
            return new InvokeResult(values, receipt);
        }
        catch (CallNotSentException)
        {
            // Not a call of this generation after all: it is routed again and counted where it runs.
            Interlocked.Decrement(ref totalInvocations);
            Interlocked.Decrement(ref counters.TotalCalls);
            throw;
        }
        catch (OverloadedException ex)
        {
            // Refused or timed out while it waited for an instance in a worker's lanes (call coalescing): as at the
            // gate, an overload, not a call that ran.
            Interlocked.Decrement(ref totalInvocations);
            Interlocked.Decrement(ref counters.TotalCalls);
            Interlocked.Increment(ref overloads);
            SupervisorLog.CallFailed(logger, callId, slot.Id, function, ex.Kind.ToString(), ex.Message);
            throw;
        }
        catch (PluginException ex)
        {
            if (ex.Kind is not ErrorKind.SandboxTerminated)
            {
                Interlocked.Increment(ref counters.FailedCalls);
            }

            SupervisorLog.CallFailed(logger, callId, slot.Id, function, ex.Kind.ToString(), ex.Message);
            throw;
        }
    }

    /// <summary>
    /// Sends one call (or batch) to the worker with its host calls bound to <paramref name="callId"/> for
    /// <paramref name="budget"/>, records in <paramref name="attempt"/> how many host calls with effects it made, and counts a
    /// supervisor-side timeout.
    /// </summary>
    /// <remarks>
    /// When calls are coalesced, a call may wait for an instance after this (up to the queue timeout), which its budget
    /// does not cover: the host-call scope then opens with room for that wait, and <paramref name="send"/> restarts it
    /// (<see cref="HostCallContext.Restart"/>) when the call is actually sent.
    /// </remarks>
    private async Task<(T Response, TimeSpan RoundTrip, HostCallContext HostCall)> SendAsync<T>(PluginGeneration generation, long callId, TimeSpan budget, IReadOnlyList<string>? chain, CallAttempt attempt, Func<HostCallContext, Task<T>> send)
    {
        var sent = Stopwatch.GetTimestamp();
        var hostCall = generation.Router.BeginCall(callId, options.CoalesceCalls ? budget + options.QueueTimeout : budget, chain);
        try
        {
            var response = await send(hostCall).ConfigureAwait(false);
            return (response, Stopwatch.GetElapsedTime(sent), hostCall);
        }
        catch (PluginTimeoutException)
        {
            Interlocked.Increment(ref generation.Counters.Timeouts);
            Interlocked.Increment(ref timeouts);
            throw;
        }
        finally
        {
            attempt.Effects = Interlocked.Read(ref hostCall.Effects);
            generation.Router.EndCall(hostCall);
        }
    }

    /// <summary>
    /// Starts a call's host-call budget as it is sent. A call sent again was handed back by its worker as not started:
    /// if it made host calls, the worker lied, and running it again could repeat their effects.
    /// </summary>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.ProtocolError"/>: the call made host calls before.</exception>
    internal static void Resend(string pluginId, HostCallContext context, TimeSpan budget)
    {
        if (Interlocked.Read(ref context.HostCalls) > 0)
        {
            throw new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker of plugin '{pluginId}' handed back call {context.CallId} as not started after it had made host calls");
        }

        context.Restart(budget);
    }

    private void CountError(PluginCounters counters, ErrorKind kind)
    {
        switch (kind)
        {
            case ErrorKind.FuelExhausted:
                Interlocked.Increment(ref counters.FuelExhaustions);
                Interlocked.Increment(ref fuelExhaustions);
                break;
            case ErrorKind.Timeout:
                Interlocked.Increment(ref counters.Timeouts);
                Interlocked.Increment(ref timeouts);
                break;
            case ErrorKind.MemoryLimitExceeded:
                Interlocked.Increment(ref counters.MemoryViolations);
                Interlocked.Increment(ref memoryViolations);
                break;
            case ErrorKind.Trap:
                Interlocked.Increment(ref counters.Traps);
                Interlocked.Increment(ref traps);
                break;
        }
    }

    private async Task RetireAsync(PluginSlot slot, CancellationToken cancellationToken)
    {
        slot.Terminated = true;
        slot.ProbationCut?.TrySetResult();
        foreach (var generation in slot.Live())
        {
            // Calls waiting in a worker's lanes (call coalescing) are waiting calls too: they leave with SandboxTerminated.
            generation.Worker?.AbandonWaitingCalls("the plugin is being unloaded");
        }

        foreach (var generation in slot.Live())
        {
            // Waiting calls see Terminated and leave; running calls finish first.
            bool drained;
            try
            {
                drained = await generation.WaitDrainedAsync(options.ReloadDrainTimeout).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stop waiting: the worker is killed below regardless.
                drained = false;
            }

            if (generation.MarkRetired() && generation.Worker is { } worker)
            {
                await worker.StopAsync(drained ? options.WorkerStopTimeout : TimeSpan.Zero).ConfigureAwait(false);
            }
        }

        await slot.ProbationTask.ConfigureAwait(false);
    }
}
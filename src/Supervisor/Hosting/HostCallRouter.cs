using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Diagnostics;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// The supervisor's side of one plugin generation's host calls: the only authority. Every request from the worker —
/// which is treated as untrusted — is matched to the call in flight, checked against the manifest's capabilities and
/// per-call budgets, executed against the host context with the call's remaining time, audited, and answered.
/// </summary>
/// <remarks>
/// Thread-safe. Several calls may be in flight at once (a plugin with <c>max_instances</c> above 1); each host call is
/// matched to its own call by id, so one call can never spend another's budget. The router is shared by a generation's
/// workers.
/// </remarks>
internal sealed class HostCallRouter
{
    private const int MaxLogChars = 4096;
    private const int MaxTopK = 10_000;
    private const int MaxVectorDims = 65_536;

    /// <summary>The longest plugin-to-plugin call path, the outermost caller included.</summary>
    internal const int MaxCallDepth = 8;

    private readonly string pluginId;
    private readonly long generation;
    private readonly PluginManifest manifest;
    private readonly HostServices services;
    private readonly ConcurrentDictionary<long, HostCallContext> inFlight = new();
    private long hostCalls;
    private long hostCallErrors;
    private long denials;

    /// <summary>Initializes a new instance of the <see cref="HostCallRouter"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="generation">The generation the router serves.</param>
    /// <param name="manifest">The generation's manifest: capabilities and budgets.</param>
    /// <param name="services">The store, audit trail, logger and metrics.</param>
    public HostCallRouter(string pluginId, long generation, PluginManifest manifest, HostServices services)
    {
        this.pluginId = pluginId;
        this.generation = generation;
        this.manifest = manifest;
        this.services = services;
    }

    /// <summary>Gets the host calls handled.</summary>
    public long HostCalls => Interlocked.Read(ref hostCalls);

    /// <summary>Gets the host calls that did not succeed (any negative status).</summary>
    public long HostCallErrors => Interlocked.Read(ref hostCallErrors);

    /// <summary>Gets the host calls denied for want of a capability.</summary>
    public long Denials => Interlocked.Read(ref denials);

    /// <summary>Opens a call: host calls carrying <paramref name="callId"/> are accepted until <see cref="EndCall"/>.</summary>
    /// <param name="callId">The call id (0 while loading).</param>
    /// <param name="budget">The call's wall-clock budget.</param>
    /// <returns>The context, which counts the call's host calls.</returns>
    /// <param name="chain">The plugins on the call path, outermost first; <see langword="null"/> for a call from the application.</param>
    public HostCallContext BeginCall(long callId, TimeSpan budget, IReadOnlyList<string>? chain = null)
    {
        // The caller's span (the call's own, when it is traced) is current here: host-call spans hang off it.
        var context = new HostCallContext(callId, budget, [.. chain ?? [], pluginId], Activity.Current?.Context ?? default);
        inFlight.AddOrUpdate(callId, context, (_, stale) =>
        {
            // Only call 0 (a load's soch_init) is ever reused, and loads of one generation never overlap.
            stale.Dispose();
            return context;
        });
        return context;
    }

    /// <summary>Closes a call; later host calls for it are denied.</summary>
    /// <param name="context">The context <see cref="BeginCall"/> returned.</param>
    public void EndCall(HostCallContext context)
    {
        inFlight.TryRemove(new KeyValuePair<long, HostCallContext>(context.CallId, context));
        context.Dispose();
    }

    /// <summary>Handles one host call from the worker.</summary>
    /// <param name="request">The request; untrusted.</param>
    /// <param name="cancellationToken">Cancelled when the worker gives up on the call.</param>
    /// <returns>The answer.</returns>
    public async Task<HostCallResponse> HandleAsync(HostCallRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var context = request is null ? null : inFlight.GetValueOrDefault(request.CallId);
        var outcome = Outcome.Denied("no plugin call is in flight with this id");
        var empty = request is null;
        request ??= new HostCallRequest { Function = "(empty request)" };

        // The name comes from an untrusted worker: only the ABI's names become tags, so a rogue worker cannot mint
        // metric series or span names.
        var functionTag = HostAbi.Functions.ContainsKey(request.Function) ? request.Function : "unknown";
        using var activity = SupervisorTracing.StartHostCall(pluginId, generation, request.CallId, functionTag, request.TraceParent, context?.Trace ?? default);
        if (empty)
        {
            outcome = Outcome.Invalid("empty host call request");
        }
        else if (context is not null && request.CallId == context.CallId)
        {
            outcome = await DecideAndRunAsync(request, context, cancellationToken).ConfigureAwait(false);
        }

        var totals = services.Totals;
        Interlocked.Increment(ref hostCalls);
        Interlocked.Increment(ref totals.HostCalls);
        if (outcome.Status < 0)
        {
            Interlocked.Increment(ref hostCallErrors);
            Interlocked.Increment(ref totals.HostCallErrors);
        }

        if (outcome.Decision == AuditDecision.Denied)
        {
            Interlocked.Increment(ref denials);
            Interlocked.Increment(ref totals.CapabilityDenials);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var duration = (long)elapsed.TotalMicroseconds;
        var decision = TelemetryNames.Of(outcome.Decision);
        services.Telemetry.HostCall(pluginId, functionTag, decision, outcome.Decision == AuditDecision.Denied, elapsed.TotalSeconds);
        if (activity is not null)
        {
            activity.SetTag(IsolatedPluginsTelemetry.DecisionTag, decision);
            activity.SetTag("sochdb.host.status", outcome.Status);
            if (outcome.Decision != AuditDecision.Allowed)
            {
                activity.SetStatus(ActivityStatusCode.Error, outcome.Detail);
            }
        }

        var bytesIn = (request.Data?.Length ?? 0) + ((request.Vector?.Length ?? 0) * sizeof(float));
        if (context is not null && request.CallId == context.CallId)
        {
            Interlocked.Add(ref context.BytesIn, bytesIn);
            Interlocked.Add(ref context.HostMicroseconds, duration);
        }

        var record = new AuditRecord
        {
            Timestamp = DateTimeOffset.UtcNow,
            PluginId = pluginId,
            Generation = generation,
            CallId = request.CallId,
            Function = Truncate(request.Function, 64),
            Target = request.Target is null ? null : Truncate(request.Target, 256),
            Decision = outcome.Decision,
            Status = outcome.Status,
            RowsAffected = outcome.Rows,
            BytesIn = bytesIn,
            BytesOut = outcome.Data?.Length ?? 0,
            DurationUs = duration,
            Detail = outcome.Detail,
        };

        try
        {
            // The record reaches the OS before the guest sees the result: a crash after this line loses nothing.
            await services.Audit.AppendAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Fail closed: an unrecorded host call must not hand the guest anything.
            SupervisorLog.AuditFailed(services.Logger, pluginId, request.Function, ex.Message);
            return new HostCallResponse { Status = HostStatus.HostError };
        }

        return new HostCallResponse { Status = outcome.Status, Data = outcome.Status >= 0 ? outcome.Data : null };
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    private async Task<Outcome> DecideAndRunAsync(HostCallRequest request, HostCallContext context, CancellationToken cancellationToken)
    {
        var resources = manifest.Resources;
        if (request.WorkerStatus != 0)
        {
            return request.WorkerStatus == HostStatus.Timeout
                ? new Outcome(AuditDecision.Failed, HostStatus.Timeout, "the call's deadline had passed")
                : Outcome.Invalid("the guest passed a buffer outside its memory or invalid UTF-8");
        }

        if (Interlocked.Increment(ref context.HostCalls) > resources.MaxHostCalls)
        {
            return Outcome.Limit($"more than {resources.MaxHostCalls} host calls in one plugin call (max_host_calls)");
        }

        var inBytes = (request.Data?.Length ?? 0) + ((long)(request.Vector?.Length ?? 0) * sizeof(float));
        if (inBytes > resources.MaxHostInputBytes)
        {
            return Outcome.Limit($"{inBytes} bytes passed in; max_host_input_bytes is {resources.MaxHostInputBytes}");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.Deadline, cancellationToken);
        try
        {
            var outcome = await RunAsync(request, context, linked.Token).ConfigureAwait(false);
            if (outcome.Data is { } data && Interlocked.Add(ref context.BytesOut, data.Length) > resources.MaxHostOutputBytes)
            {
                return Outcome.Limit($"host calls returned more than {resources.MaxHostOutputBytes} bytes in one plugin call (max_host_output_bytes)");
            }

            return outcome;
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            return new Outcome(AuditDecision.Failed, HostStatus.Timeout, "the call's deadline passed during the host call");
        }
        catch (ArgumentException ex)
        {
            return Outcome.Invalid(ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new Outcome(AuditDecision.Failed, HostStatus.HostError, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private async Task<Outcome> RunAsync(HostCallRequest request, HostCallContext context, CancellationToken cancellationToken)
    {
        var capabilities = manifest.Capabilities;
        var store = services.Store;
        switch (request.Function)
        {
            case "log":
                var text = Encoding.UTF8.GetString(request.Data ?? []);
                var level = request.Count switch { 0 => LogLevel.Debug, 1 => LogLevel.Information, 2 => LogLevel.Warning, _ => LogLevel.Error };
                SupervisorLog.PluginLog(services.Logger, level, pluginId, text.Length > MaxLogChars ? text[..MaxLogChars] : text);
                return Outcome.Ok();

            case "read":
                if (RequireTable(request, capabilities.CanReadTable, "read") is { } readDenied)
                {
                    return readDenied;
                }

                var row = await store.ReadAsync(request.Target!, request.RowId, cancellationToken).ConfigureAwait(false);
                return row is null ? Outcome.NotFound($"no row {request.RowId}") : Outcome.Ok(row, rows: 1);

            case "write":
                if (RequireTable(request, capabilities.CanWriteTable, "write") is { } writeDenied)
                {
                    return writeDenied;
                }

                Interlocked.Increment(ref context.Effects);
                return FromWrite(await services.Write(request.Target!, request.RowId, request.Data ?? [], pluginId, context.Chain, context.Expires - DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false));

            case "delete":
                if (RequireTable(request, capabilities.CanWriteTable, "write") is { } deleteDenied)
                {
                    return deleteDenied;
                }

                Interlocked.Increment(ref context.Effects);
                return FromWrite(await services.Write(request.Target!, request.RowId, null, pluginId, context.Chain, context.Expires - DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false));

            case "scan":
                if (RequireTable(request, capabilities.CanReadTable, "read") is { } scanDenied)
                {
                    return scanDenied;
                }

                if (request.Count < 0)
                {
                    return Outcome.Invalid($"scan limit {request.Count} is negative");
                }

                var allowed = manifest.Resources.MaxScanRows - Interlocked.Read(ref context.RowsScanned);
                if (request.Count > 0 && allowed <= 0)
                {
                    return Outcome.Limit($"the plugin call already scanned {manifest.Resources.MaxScanRows} rows (max_scan_rows)");
                }

                var rows = await store.ScanAsync(request.Target!, request.RowId, (int)Math.Min(request.Count, allowed), cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref context.RowsScanned, rows.Count);
                return Outcome.Ok(HostEncoding.Rows(rows), rows.Count);

            case "vector_search":
                if (!capabilities.CanVectorSearch)
                {
                    return Outcome.Denied("the manifest does not grant can_vector_search");
                }

                if (string.IsNullOrEmpty(request.Target) || request.Vector is not { Length: > 0 and <= MaxVectorDims } vector || request.Count is < 0 or > MaxTopK)
                {
                    return Outcome.Invalid($"vector_search needs an index, 1 to {MaxVectorDims} dimensions and top_k between 0 and {MaxTopK}");
                }

                var hits = await store.SearchAsync(request.Target, vector, request.Count, cancellationToken).ConfigureAwait(false);
                return Outcome.Ok(HostEncoding.Hits(hits), hits.Count);

            case "index_lookup":
                if (!capabilities.CanIndexSearch)
                {
                    return Outcome.Denied("the manifest does not grant can_index_search");
                }

                if (string.IsNullOrEmpty(request.Target) || request.Count is < 0 or > MaxTopK)
                {
                    return Outcome.Invalid($"index_lookup needs an index and a limit between 0 and {MaxTopK}");
                }

                var ids = await store.LookupIndexAsync(request.Target, request.Data ?? [], request.Count, cancellationToken).ConfigureAwait(false);
                return Outcome.Ok(HostEncoding.RowIds(ids), ids.Count);

            case "emit_metric":
                var name = request.Name;
                if (string.IsNullOrEmpty(name) || name.Length > 128 || request.Count is < 0 or > 2 || !double.IsFinite(request.Value))
                {
                    return Outcome.Invalid("emit_metric needs kind 0..2, a name of 1 to 128 characters and a finite value");
                }

                return services.Metrics.Record(pluginId, (MetricKind)request.Count, name, request.Value)
                    ? Outcome.Ok(rows: 1)
                    : Outcome.Limit($"the plugin already emits {PluginMetrics.MaxNamesPerPlugin} metric names");

            case "get_config":
                if (string.IsNullOrEmpty(request.Target))
                {
                    return Outcome.Invalid("get_config needs a key");
                }

                return manifest.Config.TryGetValue(request.Target, out var value)
                    ? Outcome.Ok(HostEncoding.Config(value), rows: 1)
                    : Outcome.NotFound($"no config key '{request.Target}'");

            case "call_plugin":
                // The callee may write: the call counts as one with effects whatever it does.
                Interlocked.Increment(ref context.Effects);
                return await CallPluginAsync(request, context, cancellationToken).ConfigureAwait(false);

            default:
                return new Outcome(AuditDecision.UnknownFunction, HostStatus.NotFound, $"no host function named '{Truncate(request.Function, 64)}'");
        }
    }

    private async Task<Outcome> CallPluginAsync(HostCallRequest request, HostCallContext context, CancellationToken cancellationToken)
    {
        var callee = request.Target;
        if (string.IsNullOrEmpty(callee) || string.IsNullOrEmpty(request.Name))
        {
            return Outcome.Invalid("call_plugin needs a plugin id and a function name");
        }

        if (!manifest.Capabilities.CanCallPlugin.Contains(callee, StringComparer.Ordinal))
        {
            return Outcome.Denied($"the manifest does not grant can_call_plugin for '{Truncate(callee, 128)}'");
        }

        // A plugin runs one call at a time: calling back into any plugin already on the path would wait for itself.
        if (context.Chain.Contains(callee, StringComparer.Ordinal))
        {
            return Outcome.Limit($"call cycle refused: {string.Join(" -> ", context.Chain)} -> {callee}");
        }

        if (context.Chain.Count >= MaxCallDepth)
        {
            return Outcome.Limit($"call depth limit of {MaxCallDepth} reached: {string.Join(" -> ", context.Chain)} -> {callee}");
        }

        var remaining = context.Expires - DateTimeOffset.UtcNow;
        if (remaining <= TimeSpan.Zero)
        {
            return new Outcome(AuditDecision.Failed, HostStatus.Timeout, "the caller's deadline had passed");
        }

        try
        {
            var output = await services.CallPlugin(callee, request.Name, request.Data ?? [], context.Chain, remaining, cancellationToken).ConfigureAwait(false);
            return Outcome.Ok(output, rows: 1);
        }
        catch (PluginException ex) when (ex.Kind == Protocol.ErrorKind.PluginNotFound)
        {
            return Outcome.NotFound($"no plugin '{Truncate(callee, 128)}' is loaded");
        }
        catch (PluginException ex) when (ex.Kind == Protocol.ErrorKind.Timeout && cancellationToken.IsCancellationRequested)
        {
            return new Outcome(AuditDecision.Failed, HostStatus.Timeout, $"the callee ran past the caller's deadline: {ex.Message}");
        }
        catch (PluginException ex)
        {
            return new Outcome(AuditDecision.Failed, ex.Kind is Protocol.ErrorKind.InvalidArguments or Protocol.ErrorKind.FunctionNotFound ? HostStatus.InvalidArguments : HostStatus.HostError, $"{ex.Kind}: {ex.Message}");
        }
    }

    private static Outcome FromWrite(WriteOutcome outcome) => outcome.Status switch
    {
        HostStatus.Ok => Outcome.Ok(rows: 1),
        HostStatus.NotFound => Outcome.NotFound(outcome.Detail ?? "no such row"),
        HostStatus.LimitExceeded => Outcome.Limit(outcome.Detail ?? "hook limit"),
        _ => new Outcome(AuditDecision.Failed, outcome.Status, outcome.Detail),
    };

    private static Outcome? RequireTable(HostCallRequest request, IReadOnlyList<string> patterns, string access)
    {
        if (string.IsNullOrEmpty(request.Target))
        {
            return Outcome.Invalid("a table name is required");
        }

        return CapabilityMatcher.Matches(patterns, request.Target)
            ? null
            : Outcome.Denied($"the manifest does not grant {access} access to table '{Truncate(request.Target, 256)}'");
    }

    /// <summary>What a host call came to.</summary>
    private readonly record struct Outcome(AuditDecision Decision, int Status, string? Detail, byte[]? Data = null, long Rows = 0)
    {
        public static Outcome Ok(byte[]? data = null, long rows = 0) => new(AuditDecision.Allowed, HostStatus.Ok, null, data, rows);

        public static Outcome NotFound(string detail) => new(AuditDecision.Allowed, HostStatus.NotFound, detail);

        public static Outcome Denied(string detail) => new(AuditDecision.Denied, HostStatus.Denied, detail);

        public static Outcome Invalid(string detail) => new(AuditDecision.Invalid, HostStatus.InvalidArguments, detail);

        public static Outcome Limit(string detail) => new(AuditDecision.LimitExceeded, HostStatus.LimitExceeded, detail);
    }
}

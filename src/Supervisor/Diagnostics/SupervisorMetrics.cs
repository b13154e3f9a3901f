using System.Diagnostics;
using System.Diagnostics.Metrics;
using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Supervisor.Workers;
using static SochDb.Isolated.Supervisor.Diagnostics.IsolatedPluginsTelemetry;

namespace SochDb.Isolated.Supervisor.Diagnostics;

/// <summary>
/// The supervisor's instruments on its <see cref="Meter"/> (<see cref="IsolatedPluginsTelemetry.MeterName"/>): counters
/// recorded as things happen, and observable instruments read from the supervisor's state when a listener collects.
/// </summary>
/// <remarks>
/// Every recording checks <see cref="Instrument.Enabled"/> first, so with no listener a call costs a few loads and no
/// allocation. Plugin ids and function names are tags: both are bounded (ids by the supervisor's plugin limit,
/// functions by the manifest's exports), so the series cannot grow without bound.
/// </remarks>
internal sealed class SupervisorMetrics : IDisposable
{
    /// <summary>Bucket boundaries for call durations, in seconds: from 50 µs (a pipe round trip) to a minute.</summary>
    private static readonly double[] DurationBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Meter meter;
    private readonly bool ownsMeter;
    private readonly Counter<long> calls;
    private readonly Histogram<double> callDuration;
    private readonly Counter<long> batchRows;
    private readonly Counter<long> fuel;
    private readonly Counter<long> hostCalls;
    private readonly Histogram<double> hostCallDuration;
    private readonly Counter<long> denials;
    private readonly Counter<long> workerStarts;
    private readonly Counter<long> workerRestarts;
    private readonly Counter<long> workerCrashes;
    private readonly Counter<long> quarantines;
    private readonly Counter<long> reloads;
    private readonly Counter<long> rollbacks;

    /// <summary>Initializes a new instance of the <see cref="SupervisorMetrics"/> class.</summary>
    /// <param name="meterFactory">The host's meter factory (dependency injection), or <see langword="null"/> for a meter of the supervisor's own.</param>
    /// <param name="slots">Reads the loaded plugins, for the observable instruments.</param>
    /// <param name="pool">Reads the warm pool's idle workers.</param>
    public SupervisorMetrics(IMeterFactory? meterFactory, Func<IReadOnlyList<PluginSlot>> slots, Func<int> pool)
    {
        var version = typeof(SupervisorMetrics).Assembly.GetName().Version?.ToString();
        ownsMeter = meterFactory is null;
        meter = meterFactory?.Create(MeterName, version) ?? new Meter(MeterName, version);

        calls = meter.CreateCounter<long>("sochdb.isolated.calls", "{call}", "Calls and batches made to plugins, by plugin, function, kind and outcome.");
        callDuration = meter.CreateHistogram(
            "sochdb.isolated.call.duration",
            "s",
            "Duration of a call as its caller sees it: waiting for a turn, the round trip to the worker and the plugin's run.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        batchRows = meter.CreateCounter<long>("sochdb.isolated.batch.rows", "{row}", "Rows run in batches, by plugin, function and the row's own outcome.");
        fuel = meter.CreateCounter<long>("sochdb.isolated.fuel.consumed", "{fuel}", "Wasmtime fuel the plugins consumed (about one unit per instruction), by plugin and function.");
        hostCalls = meter.CreateCounter<long>("sochdb.isolated.host_calls", "{call}", "Host functions plugins called, by plugin, host function and the supervisor's decision.");
        hostCallDuration = meter.CreateHistogram(
            "sochdb.isolated.host_call.duration",
            "s",
            "Time the supervisor spent deciding and running a host call, audit record included.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        denials = meter.CreateCounter<long>("sochdb.isolated.capability.denials", "{call}", "Host calls refused because the plugin's manifest does not grant the capability, by plugin and host function.");
        workerStarts = meter.CreateCounter<long>("sochdb.isolated.worker.starts", "{worker}", "Workers started for plugins (load, reload, restart), by plugin and source (cold or pool).");
        workerRestarts = meter.CreateCounter<long>("sochdb.isolated.worker.restarts", "{worker}", "Workers restarted after a failure, by plugin.");
        workerCrashes = meter.CreateCounter<long>("sochdb.isolated.worker.crashes", "{worker}", "Workers that ended by failure, by plugin and exit reason.");
        quarantines = meter.CreateCounter<long>("sochdb.isolated.quarantines", "{plugin}", "Plugins quarantined by the restart policy, by plugin.");
        reloads = meter.CreateCounter<long>("sochdb.isolated.reloads", "{reload}", "Hot reloads, by plugin and outcome (ok, or the error kind that refused the new generation).");
        rollbacks = meter.CreateCounter<long>("sochdb.isolated.rollbacks", "{reload}", "New generations rolled back after failing on probation, by plugin.");

        meter.CreateObservableUpDownCounter("sochdb.isolated.plugins", () => ObservePlugins(slots()), "{plugin}", "Plugins loaded, by state.");
        meter.CreateObservableUpDownCounter("sochdb.isolated.queue.depth", () => ObserveSlots(slots(), static s => s.Gate.Queued), "{call}", "Calls waiting for a turn at a plugin, by plugin.");
        meter.CreateObservableUpDownCounter("sochdb.isolated.calls.in_flight", () => ObserveSlots(slots(), static s => s.Gate.InUse), "{call}", "Calls running in a plugin's worker, by plugin.");
        meter.CreateObservableUpDownCounter("sochdb.isolated.pool.size", () => new Measurement<long>(pool()), "{worker}", "Idle workers in the warm pool.");
        meter.CreateObservableUpDownCounter("sochdb.isolated.worker.memory", () => ObserveMemory(slots()), "By", "Memory charged to each plugin's worker (its OS group's usage, or its resident set where no group reports one), by plugin.");
    }

    /// <summary>Records a finished call or batch.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The export.</param>
    /// <param name="batch">Whether it was a batch.</param>
    /// <param name="outcome">The outcome tag.</param>
    /// <param name="started">The <see cref="Stopwatch.GetTimestamp"/> at which the caller asked.</param>
    public void Call(string pluginId, string function, bool batch, string outcome, long started)
    {
        if (!calls.Enabled && !callDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { PluginIdTag, pluginId },
            { FunctionTag, function },
            { CallKindTag, batch ? "batch" : "invoke" },
            { OutcomeTag, outcome },
        };
        calls.Add(1, tags);
        callDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>Records rows of a batch that had the same outcome.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The export.</param>
    /// <param name="outcome">The rows' outcome tag.</param>
    /// <param name="rows">How many rows; nothing is recorded for 0.</param>
    public void BatchRows(string pluginId, string function, string outcome, long rows)
    {
        if (rows > 0 && batchRows.Enabled)
        {
            batchRows.Add(rows, new KeyValuePair<string, object?>(PluginIdTag, pluginId), new KeyValuePair<string, object?>(FunctionTag, function), new KeyValuePair<string, object?>(OutcomeTag, outcome));
        }
    }

    /// <summary>Records fuel a call consumed.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The export.</param>
    /// <param name="amount">The fuel.</param>
    public void Fuel(string pluginId, string function, long amount)
    {
        if (fuel.Enabled && amount > 0)
        {
            fuel.Add(amount, new KeyValuePair<string, object?>(PluginIdTag, pluginId), new KeyValuePair<string, object?>(FunctionTag, function));
        }
    }

    /// <summary>Records a host call.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The host function, as the worker named it (bounded by the caller).</param>
    /// <param name="decision">The decision tag.</param>
    /// <param name="denied">Whether it was refused for want of a capability.</param>
    /// <param name="seconds">The time the supervisor spent on it.</param>
    public void HostCall(string pluginId, string function, string decision, bool denied, double seconds)
    {
        var pluginTag = new KeyValuePair<string, object?>(PluginIdTag, pluginId);
        var functionTag = new KeyValuePair<string, object?>(HostFunctionTag, function);
        if (hostCalls.Enabled)
        {
            hostCalls.Add(1, pluginTag, functionTag, new KeyValuePair<string, object?>(DecisionTag, decision));
        }

        if (hostCallDuration.Enabled)
        {
            hostCallDuration.Record(seconds, pluginTag, functionTag, new KeyValuePair<string, object?>(DecisionTag, decision));
        }

        if (denied && denials.Enabled)
        {
            denials.Add(1, pluginTag, functionTag);
        }
    }

    /// <summary>Records a worker started for a plugin.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="fromPool">Whether it was adopted from the warm pool.</param>
    public void WorkerStarted(string pluginId, bool fromPool)
        => workerStarts.Add(1, new KeyValuePair<string, object?>(PluginIdTag, pluginId), new KeyValuePair<string, object?>(WorkerSourceTag, fromPool ? "pool" : "cold"));

    /// <summary>Records a restart after a failure.</summary>
    /// <param name="pluginId">The plugin.</param>
    public void WorkerRestarted(string pluginId) => workerRestarts.Add(1, new KeyValuePair<string, object?>(PluginIdTag, pluginId));

    /// <summary>Records a worker that ended by failure.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="reason">Why it ended.</param>
    public void WorkerCrashed(string pluginId, WorkerExitReason reason)
        => workerCrashes.Add(1, new KeyValuePair<string, object?>(PluginIdTag, pluginId), new KeyValuePair<string, object?>(ExitReasonTag, TelemetryNames.Of(reason)));

    /// <summary>Records a quarantine.</summary>
    /// <param name="pluginId">The plugin.</param>
    public void Quarantined(string pluginId) => quarantines.Add(1, new KeyValuePair<string, object?>(PluginIdTag, pluginId));

    /// <summary>Records a hot reload's outcome.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="outcome">The outcome tag.</param>
    public void Reloaded(string pluginId, string outcome)
        => reloads.Add(1, new KeyValuePair<string, object?>(PluginIdTag, pluginId), new KeyValuePair<string, object?>(OutcomeTag, outcome));

    /// <summary>Records a rollback.</summary>
    /// <param name="pluginId">The plugin.</param>
    public void RolledBack(string pluginId) => rollbacks.Add(1, new KeyValuePair<string, object?>(PluginIdTag, pluginId));

    /// <inheritdoc/>
    public void Dispose()
    {
        // A meter from the host's factory belongs to the factory, which disposes it with the container.
        if (ownsMeter)
        {
            meter.Dispose();
        }
    }

    private static IEnumerable<Measurement<long>> ObservePlugins(IReadOnlyList<PluginSlot> slots)
    {
        var byState = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var slot in slots)
        {
            var state = slot.Health.QuarantineReason is not null ? "quarantined" : slot.Current.Worker is { HasExited: false } ? "running" : "down";
            byState[state] = byState.GetValueOrDefault(state) + 1;
        }

        foreach (var state in (string[])["running", "down", "quarantined"])
        {
            yield return new Measurement<long>(byState.GetValueOrDefault(state), new KeyValuePair<string, object?>("sochdb.plugin.state", state));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveSlots(IReadOnlyList<PluginSlot> slots, Func<PluginSlot, int> read)
    {
        foreach (var slot in slots)
        {
            yield return new Measurement<long>(read(slot), new KeyValuePair<string, object?>(PluginIdTag, slot.Id));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveMemory(IReadOnlyList<PluginSlot> slots)
    {
        foreach (var slot in slots)
        {
            // During a reload both generations' workers hold memory; the plugin's figure is their sum.
            long total = 0;
            var known = false;
            foreach (var worker in (WorkerProcess?[])[slot.Current.Worker, slot.Previous?.Worker])
            {
                if (worker is { HasExited: false } && ReadMemory(worker) is { } bytes)
                {
                    total += bytes;
                    known = true;
                }
            }

            if (known)
            {
                yield return new Measurement<long>(total, new KeyValuePair<string, object?>(PluginIdTag, slot.Id));
            }
        }
    }

    private static long? ReadMemory(WorkerProcess worker)
        => worker.ReadGroup().MemoryBytes ?? Isolation.OsProcessControl.ReadStatmResident(worker.Pid);
}

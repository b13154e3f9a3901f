using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SochDb.Isolated.Cli.Values;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Audit;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// The JSON forms of the supervisor's records in the <c>serve</c> protocol: every property in camelCase; a
/// <see cref="TimeSpan"/> as a whole number with its unit in the name (<c>…Us</c>, <c>…Ms</c>) because JSON has no
/// duration type and clients in every language can read an integer.
/// </summary>
internal static class ServeJson
{
    /// <summary>Writes an audit record.</summary>
    /// <param name="record">The record.</param>
    /// <returns><c>{sequence, timestamp, pluginId, generation, callId, function, target, decision, status, rowsAffected, bytesIn, bytesOut, durationUs, detail}</c>.</returns>
    public static JsonObject AuditEntry(AuditRecord record) => new()
    {
        ["sequence"] = record.Sequence,
        ["timestamp"] = record.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["pluginId"] = record.PluginId,
        ["generation"] = record.Generation,
        ["callId"] = record.CallId,
        ["function"] = record.Function,
        ["target"] = record.Target,
        ["decision"] = record.Decision.ToString(),
        ["status"] = record.Status,
        ["rowsAffected"] = record.RowsAffected,
        ["bytesIn"] = record.BytesIn,
        ["bytesOut"] = record.BytesOut,
        ["durationUs"] = record.DurationUs,
        ["detail"] = record.Detail,
    };

    /// <summary>Writes a plugin's description.</summary>
    /// <param name="info">The plugin.</param>
    /// <returns><c>{id, name, version, state, generation, workerPid, memoryUsedBytes, callCount, uptimeMs, workerRestarts, lastExitReason, quarantineReason, maxInstances, previousGeneration, lastRollbackReason}</c>.</returns>
    public static JsonObject PluginInfo(PluginInfo info) => new()
    {
        ["id"] = info.Id,
        ["name"] = info.Name,
        ["version"] = info.Version,
        ["state"] = info.State.ToString(),
        ["generation"] = info.Generation,
        ["workerPid"] = info.WorkerPid,
        ["memoryUsedBytes"] = info.MemoryUsedBytes,
        ["callCount"] = info.CallCount,
        ["uptimeMs"] = WholeMilliseconds(info.Uptime),
        ["workerRestarts"] = info.WorkerRestarts,
        ["lastExitReason"] = info.LastExitReason.ToString(),
        ["quarantineReason"] = info.QuarantineReason,
        ["maxInstances"] = info.MaxInstances,
        ["previousGeneration"] = info.PreviousGeneration,
        ["lastRollbackReason"] = info.LastRollbackReason,
    };

    /// <summary>Writes a list of plugins.</summary>
    /// <param name="plugins">The plugins.</param>
    /// <returns>An array of <see cref="PluginInfo(Supervisor.PluginInfo)"/> objects.</returns>
    public static JsonArray PluginList(IEnumerable<PluginInfo> plugins) => [.. plugins.Select(p => (JsonNode)PluginInfo(p))];

    /// <summary>Writes a call's results and receipt.</summary>
    /// <param name="result">The call's outcome.</param>
    /// <returns><c>{results: [Value], receipt: {...}}</c>.</returns>
    public static JsonObject InvokeResult(InvokeResult result) => new()
    {
        ["results"] = new JsonArray([.. result.Values.Select(v => (JsonNode)ValueJson.Write(v))]),
        ["receipt"] = Receipt(result.Receipt),
    };

    /// <summary>Writes a batch's outcome.</summary>
    /// <param name="result">The batch's rows.</param>
    /// <returns>
    /// <c>{rows}</c>, one per argument row in order: <c>{results, receipt}</c> for a row that succeeded,
    /// <c>{error, receipt}</c> for one that failed, where <c>error</c> is the data of a plugin error (<c>{kind, message, ...}</c>).
    /// </returns>
    public static JsonObject BatchResult(BatchResult result) => new()
    {
        ["rows"] = new JsonArray([.. result.Rows.Select(BatchRow)]),
    };

    /// <summary>Writes a call's receipt.</summary>
    /// <param name="receipt">The receipt.</param>
    /// <returns><c>{fuelConsumed, durationUs, peakMemoryBytes, hostCalls, generation, roundTripUs, hostBytesIn, hostBytesOut, hostTimeUs}</c>, in the record's order.</returns>
    public static JsonObject Receipt(CallReceipt receipt) => new()
    {
        ["fuelConsumed"] = receipt.FuelConsumed,
        ["durationUs"] = WholeMicroseconds(receipt.Duration),
        ["peakMemoryBytes"] = receipt.PeakMemoryBytes,
        ["hostCalls"] = receipt.HostCalls,
        ["generation"] = receipt.Generation,
        ["roundTripUs"] = WholeMicroseconds(receipt.RoundTrip),
        ["hostBytesIn"] = receipt.HostBytesIn,
        ["hostBytesOut"] = receipt.HostBytesOut,
        ["hostTimeUs"] = WholeMicroseconds(receipt.HostTime),
    };

    private static JsonNode BatchRow(BatchRowResult row) => row.Error is { } error
        ? new JsonObject { ["error"] = PluginErrorData.From(error), ["receipt"] = Receipt(row.Receipt) }
        : new JsonObject { ["results"] = new JsonArray([.. row.Values.Select(v => (JsonNode)ValueJson.Write(v))]), ["receipt"] = Receipt(row.Receipt) };

    /// <summary>Writes a plugin's statistics.</summary>
    /// <param name="stats">The statistics.</param>
    /// <returns>Every property of <see cref="Supervisor.PluginStats"/>, e.g. <c>totalCalls</c>; <c>totalExecutionTimeUs</c> for the time.</returns>
    public static JsonObject PluginStats(PluginStats stats) => Counters(stats);

    /// <summary>Writes the runtime's statistics.</summary>
    /// <param name="stats">The statistics.</param>
    /// <returns>Every property of <see cref="Supervisor.RuntimeStats"/>, e.g. <c>totalInvocations</c>.</returns>
    public static JsonObject RuntimeStats(RuntimeStats stats) => Counters(stats);

    /// <summary>Converts a duration to whole microseconds, rounding down.</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The microseconds.</returns>
    public static long WholeMicroseconds(TimeSpan duration) => duration.Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>Converts a duration to whole milliseconds, rounding down.</summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The milliseconds.</returns>
    public static long WholeMilliseconds(TimeSpan duration) => duration.Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// Writes a statistics record: every public property in declaration order, camelCase; a <see cref="TimeSpan"/>
    /// in whole microseconds with <c>Us</c> appended. By reflection, because the statistics records grow with the
    /// runtime (host calls, capabilities, audit) and a counter added there must reach clients without a change here.
    /// </summary>
    private static JsonObject Counters<T>(T stats)
        where T : class
    {
        var json = new JsonObject();
        foreach (var property in CounterProperties<T>.All)
        {
            var value = property.GetValue(stats);
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            json[value is TimeSpan ? name + "Us" : name] = value switch
            {
                TimeSpan duration => WholeMicroseconds(duration),
                long number => number,
                int number => number,
                bool flag => flag,
                _ => JsonValue.Create(value?.ToString()),
            };
        }

        return json;
    }
}

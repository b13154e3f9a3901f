using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Diagnostics;
using SochDb.Isolated.Supervisor.Logging;
using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor;

/// <content>Batch calls: one export over many argument rows in one round trip.</content>
public sealed partial class PluginSupervisor
{
    /// <summary>
    /// Calls one export once per argument row, in order, in one round trip to the worker: the way a database calls a
    /// function over a column. Each row is metered like a call (the manifest's per-call fuel limit and timeout, the
    /// lifetime fuel budget, the statistics) and fails on its own: a trapping row gets its error, the instance is
    /// replaced, and the next row runs. The batch takes one turn at the plugin's gate (one instance).
    /// </summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The export.</param>
    /// <param name="rows">The argument rows; at most <see cref="PluginSupervisorOptions.MaxBatchRows"/>.</param>
    /// <param name="cancellationToken">Stops waiting; a batch already in the worker still finishes within its deadline.</param>
    /// <returns>Each row's results or error.</returns>
    /// <exception cref="PluginException">
    /// The batch as a whole failed: <see cref="ErrorKind.InvalidArguments"/> (too many rows or too large), or the worker
    /// timed out, crashed or broke the protocol, or the plugin is quarantined, overloaded or gone.
    /// </exception>
    public Task<BatchResult> InvokeBatchAsync(string pluginId, string function, IReadOnlyList<IReadOnlyList<PluginValue>> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(rows);
        var slot = GetSlot(pluginId);
        if (rows.Count > options.MaxBatchRows)
        {
            throw new PluginException(ErrorKind.InvalidArguments, slot.Id, $"a batch of {rows.Count} rows is over the limit of {options.MaxBatchRows} (MaxBatchRows)");
        }

        var wireRows = BatchRows.From(rows, options.MaxMessageBytes);
        if (wireRows.WireBytes > options.MaxMessageBytes)
        {
            throw new PluginException(ErrorKind.InvalidArguments, slot.Id, $"a batch of about {wireRows.WireBytes} bytes is over the limit of {options.MaxMessageBytes} bytes (MaxMessageBytes)");
        }

        // The batch runs to completion even if the caller stops waiting, so the gate and the accounting stay right.
        return InvokeBatchCoreAsync(slot, function, wireRows, cancellationToken).WaitAsync(cancellationToken);
    }

    private Task<BatchResult> InvokeBatchCoreAsync(PluginSlot slot, string function, BatchRows rows, CancellationToken cancellationToken)
        => RunRoutedAsync(slot, function, batch: true, (generation, callId, attempt) => InvokeBatchOnAsync(slot, generation, callId, attempt, function, rows, cancellationToken), cancellationToken);

    private async Task<BatchResult> InvokeBatchOnAsync(PluginSlot slot, PluginGeneration generation, long callId, CallAttempt attempt, string function, BatchRows rows, CancellationToken cancellationToken)
    {
        var counters = generation.Counters;
        var counted = false;
        try
        {
            if (slot.Terminated)
            {
                throw new PluginException(ErrorKind.SandboxTerminated, slot.Id, $"plugin '{slot.Id}' was unloaded while the batch waited");
            }

            ThrowIfQuarantined(slot);
            var count = rows.Count;
            if (count == 0)
            {
                return new BatchResult([], 0, TimeSpan.Zero);
            }

            // Every row is a call in the statistics, whether it runs, fails in the guest or is lost with the worker.
            Interlocked.Add(ref totalInvocations, count);
            Interlocked.Add(ref counters.TotalCalls, count);
            counted = true;
            var resources = generation.Manifest.Resources;
            var rowTimeout = TimeSpan.FromMilliseconds(resources.TimeoutMs);

            // Each row keeps the per-call timeout (enforced in the worker by the epoch deadline); the batch as a whole
            // gets the sum, capped so one batch cannot hold the plugin's turn indefinitely. The worker stops starting
            // rows when the batch budget is spent, so it answers before the supervisor's deadline kills it.
            var batchTimeout = TimeSpan.FromTicks((long)Math.Min(rowTimeout.Ticks * (double)count, options.MaxBatchDuration.Ticks));
            var worker = await EnsureWorkerAsync(slot, generation, cancellationToken).ConfigureAwait(false);
            attempt.Worker = worker;
            var request = new InvokeBatchRequest
            {
                CallId = callId,
                Function = function,
                Rows = rows.Rows,
                Packed = rows.Packed,
                Fuel = resources.FuelLimit,
                FuelBudget = generation.Budget.Remaining,
                TimeoutMs = Math.Max(1, (long)rowTimeout.TotalMilliseconds),
                BatchTimeoutMs = Math.Max(1, (long)batchTimeout.TotalMilliseconds),
                TraceParent = SupervisorTracing.CurrentTraceParent(),
            };

            var (response, roundTrip, _) = await SendAsync(generation, callId, batchTimeout, null, attempt, context => worker.InvokeBatchAsync(request, batchTimeout + options.CallGrace, () => context.Restart(batchTimeout))).ConfigureAwait(false);
            var expected = generation.Module.Functions.TryGetValue(function, out var export) ? export.Results : null;
            if (BatchAnswerProblem(response, rows, expected) is { } problem)
            {
                throw new PluginException(ErrorKind.ProtocolError, slot.Id, $"the worker of plugin '{slot.Id}' answered a batch of {count} rows with {problem}");
            }

            // Per-row figures are summed here and published once per batch: a handful of atomic operations per row was
            // a measurable share of a row's cost.
            long fuelConsumed = 0;
            long executionMicroseconds = 0;
            long succeeded = 0;
            var results = new BatchRowResult[count];
            var packed = response.Packed;
            var failed = 0;
            for (var i = 0; i < count; i++)
            {
                if (packed is not null && (failed >= packed.FailedRows.Length || packed.FailedRows[failed] != i))
                {
                    results[i] = PackedRowResult(generation, packed, i, roundTrip);
                    fuelConsumed = SaturatingAdd(fuelConsumed, packed.FuelConsumed[i]);
                    executionMicroseconds = SaturatingAdd(executionMicroseconds, packed.DurationUs[i]);
                    succeeded++;
                    continue;
                }

                var row = response.Rows[packed is null ? i : failed++];
                results[i] = RowResult(slot, generation, callId, function, row, roundTrip);
                fuelConsumed = SaturatingAdd(fuelConsumed, row.FuelConsumed);
                executionMicroseconds = SaturatingAdd(executionMicroseconds, row.DurationUs);
                succeeded += row.Error is null ? 1 : 0;
            }

            generation.Budget.Consume(fuelConsumed);
            Interlocked.Add(ref counters.FuelConsumed, fuelConsumed);
            Interlocked.Add(ref totalFuelConsumed, fuelConsumed);
            Interlocked.Add(ref counters.ExecutionMicroseconds, executionMicroseconds);
            Interlocked.Add(ref counters.SuccessfulCalls, succeeded);
            telemetry.BatchRows(slot.Id, function, TelemetryNames.Ok, succeeded);
            counters.ObserveMemory(response.PeakMemoryBytes);
            generation.MemoryBytes = response.MemoryBytes;
            telemetry.Fuel(slot.Id, function, fuelConsumed);
            return new BatchResult(results, fuelConsumed, roundTrip);
        }
        catch (CallNotSentException) when (counted)
        {
            // It waited for a worker that went away and never reached it: routed again, counted where it runs.
            Interlocked.Add(ref totalInvocations, -rows.Count);
            Interlocked.Add(ref counters.TotalCalls, -rows.Count);
            throw;
        }
        catch (OverloadedException ex) when (counted)
        {
            // Refused or timed out while it waited for an instance in a worker's lanes (call coalescing): as at the gate,
            // an overload, not rows that ran.
            Interlocked.Add(ref totalInvocations, -rows.Count);
            Interlocked.Add(ref counters.TotalCalls, -rows.Count);
            Interlocked.Increment(ref overloads);
            SupervisorLog.CallFailed(logger, callId, slot.Id, function, ex.Kind.ToString(), ex.Message);
            throw;
        }
        catch (PluginException ex)
        {
            // The batch failed as a whole (the worker was lost or killed): every row it counted failed with it.
            if (counted && ex.Kind is not ErrorKind.SandboxTerminated)
            {
                Interlocked.Add(ref counters.FailedCalls, rows.Count);
            }

            SupervisorLog.CallFailed(logger, callId, slot.Id, function, ex.Kind.ToString(), ex.Message);
            throw;
        }
    }

    /// <summary>
    /// One row's result and receipt. A failed row is counted and reported here (failures are few); the figures of
    /// every row are summed and published by the caller, once per batch.
    /// </summary>
    private BatchRowResult RowResult(PluginSlot slot, PluginGeneration generation, long callId, string function, InvokeResponse row, TimeSpan roundTrip)
    {
        // Host-call bytes and time are only measured per batch on this side, so a row's receipt carries its count alone.
        var receipt = new CallReceipt(
            row.FuelConsumed,
            Microseconds(row.DurationUs),
            row.PeakMemoryBytes,
            row.HostCalls,
            generation.Number,
            roundTrip);
        if (row.Error is { } error)
        {
            CountError(generation.Counters, error.Kind);
            Interlocked.Increment(ref generation.Counters.FailedCalls);
            var exception = ErrorMapper.ToException(slot.Id, error);
            telemetry.BatchRows(slot.Id, function, TelemetryNames.Of(exception.Kind), 1);
            SupervisorLog.CallFailed(logger, callId, slot.Id, function, exception.Kind.ToString(), exception.Message);
            return new BatchRowResult([], receipt, exception);
        }

        var values = new PluginValue[row.Results.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var result = row.Results[i];
            values[i] = PluginValue.FromRaw(result.Type, result.Bits, result.Bytes);
        }

        return new BatchRowResult(values, receipt, null);
    }

    /// <summary>
    /// What is wrong with a worker's answer to a batch, in words that finish "answered a batch of N rows with", or
    /// <see langword="null"/> when its shape is right. The worker is not trusted: a packed answer is checked column by
    /// column before any row is read from it.
    /// </summary>
    /// <param name="response">The worker's answer.</param>
    /// <param name="rows">The rows it answers.</param>
    /// <param name="expectedResults">The export's result types as the supervisor compiled them, or <see langword="null"/> when it has no such export.</param>
    /// <returns>The problem, or <see langword="null"/>.</returns>
    internal static string? BatchAnswerProblem(InvokeBatchResponse response, BatchRows rows, IReadOnlyList<PluginValueType?>? expectedResults)
    {
        var count = rows.Count;
        if (response.Rows is null || response.Rows.Any(r => r is null))
        {
            return "missing row outcomes";
        }

        if (response.Packed is not { } packed)
        {
            return response.Rows.Length == count ? null : $"{response.Rows.Length} rows";
        }

        if (rows.Packed is null)
        {
            return "packed results to rows that were not packed";
        }

        if (packed.Types is null || packed.Values is null || packed.FuelConsumed is null || packed.DurationUs is null
            || packed.HostCalls is null || packed.PeakMemoryBytes is null || packed.FailedRows is null)
        {
            return "packed results with a missing column";
        }

        // The result types must be the export's own: a worker cannot make the supervisor build more (or other) values
        // than the function returns.
        if (expectedResults is null || !packed.Types.Select(t => (PluginValueType?)t).SequenceEqual(expectedResults)
            || !PackedValues.FitsExactly(packed.Values.LongLength, count, packed.Types.Length))
        {
            return $"{packed.Values.Length} bytes of packed results of types ({string.Join(", ", packed.Types)})";
        }

        if (packed.FuelConsumed.Length != count || packed.DurationUs.Length != count || packed.HostCalls.Length != count || packed.PeakMemoryBytes.Length != count)
        {
            return $"figure columns of {packed.FuelConsumed.Length}, {packed.DurationUs.Length}, {packed.HostCalls.Length} and {packed.PeakMemoryBytes.Length} rows";
        }

        if (packed.FailedRows.Length != response.Rows.Length)
        {
            return $"{packed.FailedRows.Length} failed rows but {response.Rows.Length} outcomes for them";
        }

        for (var i = 0; i < packed.FailedRows.Length; i++)
        {
            var index = packed.FailedRows[i];
            if (index < 0 || index >= count || (i > 0 && index <= packed.FailedRows[i - 1]))
            {
                return $"failed-row indexes out of order or range ({index} at position {i})";
            }
        }

        return null;
    }

    /// <summary>A succeeded row of a packed answer: its values from the packed results, its receipt from the columns.</summary>
    private static BatchRowResult PackedRowResult(PluginGeneration generation, PackedRowResults packed, int row, TimeSpan roundTrip)
    {
        var width = packed.Types.Length;
        var values = new PluginValue[width];
        for (var r = 0; r < width; r++)
        {
            values[r] = PluginValue.FromRaw(packed.Types[r], PackedValues.Read(packed.Values, (row * width) + r), null);
        }

        var receipt = new CallReceipt(
            packed.FuelConsumed[row],
            Microseconds(packed.DurationUs[row]),
            packed.PeakMemoryBytes[row],
            packed.HostCalls[row],
            generation.Number,
            roundTrip);
        return new BatchRowResult(values, receipt, null);
    }

    /// <summary>A worker-reported duration, clamped to what a <see cref="TimeSpan"/> holds (a hostile figure cannot throw).</summary>
    internal static TimeSpan Microseconds(long reported) => TimeSpan.FromMicroseconds(Math.Clamp(reported, 0, (long)TimeSpan.MaxValue.TotalMicroseconds - 1));

    /// <summary>
    /// Adds a worker-reported figure to a sum: negative figures count as 0 and the sum stops at <see cref="long.MaxValue"/>,
    /// so a worker cannot wrap a batch's total below zero and refund its fuel budget.
    /// </summary>
    internal static long SaturatingAdd(long sum, long reported)
    {
        var value = Math.Max(0, reported);
        return sum > long.MaxValue - value ? long.MaxValue : sum + value;
    }
}

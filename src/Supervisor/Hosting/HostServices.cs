using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Diagnostics;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>What host calls run against, shared by every plugin of a supervisor.</summary>
/// <param name="Store">The database.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Logger">Where plugin <c>log</c> calls go.</param>
/// <param name="Metrics">Where plugin <c>emit_metric</c> calls go.</param>
/// <param name="Totals">Runtime-wide host-call totals.</param>
/// <param name="Telemetry">The supervisor's metrics.</param>
/// <param name="CallPlugin">Runs another plugin's <c>bytes -&gt; bytes</c> export for <c>call_plugin</c>.</param>
/// <param name="Write">Writes or deletes a row through the table hooks (<c>write</c> and <c>delete</c> go through it).</param>
internal sealed record HostServices(IHostContext Store, AuditLog Audit, ILogger Logger, PluginMetrics Metrics, HostCounters Totals, SupervisorMetrics Telemetry, PluginCaller CallPlugin, RowWriter Write);

/// <summary>Writes (or, with <see langword="null"/> data, deletes) a row, running the matching table hooks.</summary>
/// <param name="table">The table.</param>
/// <param name="rowId">The row id.</param>
/// <param name="data">The row, or <see langword="null"/> to delete.</param>
/// <param name="origin">The plugin writing, whose own hooks do not fire; <see langword="null"/> for the application.</param>
/// <param name="chain">The plugins on the call path.</param>
/// <param name="budget">The writer's remaining time, or <see langword="null"/> for the application.</param>
/// <param name="cancellationToken">Cancelled when the writer's deadline passes.</param>
/// <returns>What came of it.</returns>
internal delegate Task<WriteOutcome> RowWriter(string table, long rowId, byte[]? data, string? origin, IReadOnlyList<string> chain, TimeSpan? budget, CancellationToken cancellationToken);

/// <summary>What came of a write through the hooks.</summary>
/// <param name="Status">0 when applied; a host status when refused (the hook's own negative code, -2 for a delete of no row, -4 for a failed hook, -5 past the hook depth).</param>
/// <param name="Detail">Why it was refused.</param>
/// <param name="RejectedBy">The plugin whose hook refused it.</param>
internal sealed record WriteOutcome(int Status, string? Detail = null, string? RejectedBy = null);

/// <summary>Runs a plugin-to-plugin call.</summary>
/// <param name="callee">The plugin to call.</param>
/// <param name="function">Its export, declared <c>bytes -&gt; bytes</c>.</param>
/// <param name="input">The input bytes.</param>
/// <param name="chain">The call path so far, ending with the caller.</param>
/// <param name="budget">The caller's remaining time; the callee gets no more.</param>
/// <param name="cancellationToken">Cancelled when the caller's deadline passes.</param>
/// <returns>The callee's output bytes.</returns>
internal delegate Task<byte[]> PluginCaller(string callee, string function, byte[] input, IReadOnlyList<string> chain, TimeSpan budget, CancellationToken cancellationToken);

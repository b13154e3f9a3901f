using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Audit;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>What host calls run against, shared by every plugin of a supervisor.</summary>
/// <param name="Store">The database.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Logger">Where plugin <c>log</c> calls go.</param>
/// <param name="Metrics">Where plugin <c>emit_metric</c> calls go.</param>
/// <param name="Totals">Runtime-wide host-call totals.</param>
/// <param name="CallPlugin">Runs another plugin's <c>bytes -&gt; bytes</c> export for <c>call_plugin</c>.</param>
internal sealed record HostServices(IHostContext Store, AuditLog Audit, ILogger Logger, PluginMetrics Metrics, HostCounters Totals, PluginCaller CallPlugin);

/// <summary>Runs a plugin-to-plugin call.</summary>
/// <param name="callee">The plugin to call.</param>
/// <param name="function">Its export, declared <c>bytes -&gt; bytes</c>.</param>
/// <param name="input">The input bytes.</param>
/// <param name="chain">The call path so far, ending with the caller.</param>
/// <param name="budget">The caller's remaining time; the callee gets no more.</param>
/// <param name="cancellationToken">Cancelled when the caller's deadline passes.</param>
/// <returns>The callee's output bytes.</returns>
internal delegate Task<byte[]> PluginCaller(string callee, string function, byte[] input, IReadOnlyList<string> chain, TimeSpan budget, CancellationToken cancellationToken);

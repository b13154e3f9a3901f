using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Audit;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>What host calls run against, shared by every plugin of a supervisor.</summary>
/// <param name="Store">The database.</param>
/// <param name="Audit">The audit trail.</param>
/// <param name="Logger">Where plugin <c>log</c> calls go.</param>
/// <param name="Metrics">Where plugin <c>emit_metric</c> calls go.</param>
/// <param name="Totals">Runtime-wide host-call totals.</param>
internal sealed record HostServices(IHostContext Store, AuditLog Audit, ILogger Logger, PluginMetrics Metrics, HostCounters Totals);

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>A metric a plugin emitted.</summary>
/// <param name="Kind">Counter, gauge or histogram.</param>
/// <param name="Count">How many values were emitted.</param>
/// <param name="Value">A counter's or histogram's sum, a gauge's latest value.</param>
/// <param name="Min">The smallest value emitted.</param>
/// <param name="Max">The largest value emitted.</param>
/// <param name="Last">The latest value emitted.</param>
public sealed record PluginMetric(MetricKind Kind, long Count, double Value, double Min, double Max, double Last);

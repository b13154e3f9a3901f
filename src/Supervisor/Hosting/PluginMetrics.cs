using System.Collections.Concurrent;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>The metrics plugins emit through <c>emit_metric</c>, per plugin and name.</summary>
/// <remarks>Thread-safe. Names are bounded per plugin so a hostile plugin cannot grow the table without limit.</remarks>
internal sealed class PluginMetrics
{
    /// <summary>The most distinct metric names one plugin may emit.</summary>
    public const int MaxNamesPerPlugin = 256;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, PluginMetric>> byPlugin = new(StringComparer.Ordinal);

    /// <summary>Records one emitted value.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="kind">0 counter (value added), 1 gauge (value kept), 2 histogram (value observed).</param>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="false"/> when the plugin already emits <see cref="MaxNamesPerPlugin"/> other names.</returns>
    public bool Record(string pluginId, MetricKind kind, string name, double value)
    {
        var metrics = byPlugin.GetOrAdd(pluginId, _ => new ConcurrentDictionary<string, PluginMetric>(StringComparer.Ordinal));
        if (!metrics.ContainsKey(name) && metrics.Count >= MaxNamesPerPlugin)
        {
            return false;
        }

        metrics.AddOrUpdate(
            name,
            _ => new PluginMetric(kind, 1, kind == MetricKind.Gauge ? value : value, value, value, value),
            (_, m) => m with
            {
                Count = m.Count + 1,
                Value = kind == MetricKind.Gauge ? value : m.Value + value,
                Min = Math.Min(m.Min, value),
                Max = Math.Max(m.Max, value),
                Last = value,
            });
        return true;
    }

    /// <summary>Gets a plugin's metrics.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <returns>The metrics by name.</returns>
    public IReadOnlyDictionary<string, PluginMetric> Get(string pluginId)
        => byPlugin.TryGetValue(pluginId, out var metrics) ? new Dictionary<string, PluginMetric>(metrics, StringComparer.Ordinal) : new Dictionary<string, PluginMetric>();

    /// <summary>Forgets a plugin's metrics (on unload).</summary>
    /// <param name="pluginId">The plugin.</param>
    public void Remove(string pluginId) => byPlugin.TryRemove(pluginId, out _);
}

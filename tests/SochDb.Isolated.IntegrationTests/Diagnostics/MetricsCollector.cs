using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SochDb.Isolated.Supervisor.Diagnostics;

namespace SochDb.Isolated.IntegrationTests.Diagnostics;

/// <summary>An in-memory listener on the supervisor's meter: every measurement, with its tags, for assertions.</summary>
internal sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<Recorded> recorded = new();

    /// <summary>Initializes a new instance of the <see cref="MetricsCollector"/> class.</summary>
    /// <param name="scope">Only meters created with this scope (a host's <see cref="IMeterFactory"/>); every supervisor's when <see langword="null"/>.</param>
    public MetricsCollector(object? scope)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IsolatedPluginsTelemetry.MeterName && (scope is null || ReferenceEquals(instrument.Meter.Scope, scope)))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => recorded.Enqueue(new Recorded(instrument.Name, value, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => recorded.Enqueue(new Recorded(instrument.Name, value, ToDictionary(tags))));
        listener.Start();
    }

    /// <summary>Gets every instrument that reported at least once.</summary>
    public IReadOnlySet<string> Names => recorded.Select(r => r.Instrument).ToHashSet(StringComparer.Ordinal);

    /// <summary>Sums an instrument's measurements whose tags include every given pair.</summary>
    /// <param name="instrument">The instrument name.</param>
    /// <param name="tags">Tag pairs, alternating name and value.</param>
    /// <returns>The sum.</returns>
    public double Sum(string instrument, params string[] tags) => Matching(instrument, tags).Sum(r => r.Value);

    /// <summary>Counts an instrument's measurements whose tags include every given pair (for histograms: the recordings).</summary>
    /// <param name="instrument">The instrument name.</param>
    /// <param name="tags">Tag pairs, alternating name and value.</param>
    /// <returns>The count.</returns>
    public int Count(string instrument, params string[] tags) => Matching(instrument, tags).Count();

    /// <summary>Gets the measurements of an instrument whose tags include every given pair.</summary>
    /// <param name="instrument">The instrument name.</param>
    /// <param name="tags">Tag pairs, alternating name and value.</param>
    /// <returns>The measurements.</returns>
    public IEnumerable<Recorded> Matching(string instrument, params string[] tags)
        => recorded.Where(r => r.Instrument == instrument && Enumerable.Range(0, tags.Length / 2).All(i => r.Tags.TryGetValue(tags[2 * i], out var v) && Equals(v?.ToString(), tags[(2 * i) + 1])));

    /// <summary>Reads the observable instruments now and returns what they reported.</summary>
    /// <returns>The observations.</returns>
    public IReadOnlyList<Recorded> Observe()
    {
        var before = recorded.Count;
        listener.RecordObservableInstruments();
        return [.. recorded.Skip(before)];
    }

    /// <inheritdoc/>
    public void Dispose() => listener.Dispose();

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    /// <summary>One measurement.</summary>
    /// <param name="Instrument">The instrument name.</param>
    /// <param name="Value">The value.</param>
    /// <param name="Tags">The tags.</param>
    internal sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
}

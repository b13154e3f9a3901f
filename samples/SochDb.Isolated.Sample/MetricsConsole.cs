using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace SochDb.Isolated.Sample;

/// <summary>
/// A tiny console exporter: listens to every instrument of the "SochDb.Isolated" meter and prints running totals.
/// It prints nothing while the meter has no instruments. An OpenTelemetry app would instead call
/// <c>AddMeter("SochDb.Isolated").AddConsoleExporter()</c> on its meter provider.
/// </summary>
internal sealed class MetricsConsole : IDisposable
{
    /// <summary>The supervisor's meter name.</summary>
    public const string MeterName = "SochDb.Isolated";

    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, double> totals = new(StringComparer.Ordinal);

    public MetricsConsole()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Add(instrument, value));
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Add(instrument, value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Add(instrument, value));
        listener.Start();
    }

    /// <summary>Prints one line per instrument seen so far (observable instruments are read now).</summary>
    public void Print()
    {
        listener.RecordObservableInstruments();
        foreach (var (name, value) in totals.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"metric: {name} = {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    public void Dispose() => listener.Dispose();

    private void Add(Instrument instrument, double value)
    {
        var key = instrument.Unit is { Length: > 0 } unit ? $"{instrument.Name} ({unit})" : instrument.Name;
        if (instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("Gauge", StringComparison.Ordinal))
        {
            totals[key] = value;
        }
        else
        {
            totals.AddOrUpdate(key, value, (_, current) => current + value);
        }
    }
}

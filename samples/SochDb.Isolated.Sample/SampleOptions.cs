namespace SochDb.Isolated.Sample;

/// <summary>The sample's settings, from the "Sample" configuration section (appsettings, environment, command line).</summary>
internal sealed class SampleOptions
{
    /// <summary>Gets or sets how many calls the workload makes before the service stops.</summary>
    public int Calls { get; set; } = 200;

    /// <summary>Gets or sets how often the supervisor's statistics are printed while the workload runs.</summary>
    public double StatsIntervalSeconds { get; set; } = 1;

    /// <summary>Gets or sets how often OpenTelemetry's console exporter prints the metrics (and once more at the end).</summary>
    public double MetricsIntervalSeconds { get; set; } = 60;

    /// <summary>Gets or sets a value indicating whether every call's and host call's span is printed too.</summary>
    public bool Traces { get; set; }
}

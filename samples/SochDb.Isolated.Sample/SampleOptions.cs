namespace SochDb.Isolated.Sample;

/// <summary>The sample's settings, from the "Sample" configuration section (appsettings, environment, command line).</summary>
internal sealed class SampleOptions
{
    /// <summary>How many calls the workload makes before the service stops.</summary>
    public int Calls { get; set; } = 200;

    /// <summary>How often the statistics are printed while the workload runs.</summary>
    public double StatsIntervalSeconds { get; set; } = 1;

    /// <summary>The plugin's manifest, relative to the application's folder.</summary>
    public string Manifest { get; set; } = Path.Combine("plugins", "plugin.toml");
}

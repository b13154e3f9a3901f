namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>Thresholds of the plugins' health check (<c>AddIsolatedPluginsHealthCheck()</c>).</summary>
public sealed class IsolatedPluginsHealthOptions
{
    /// <summary>
    /// Gets or sets how many worker crashes, over all plugins, within <see cref="CrashWindow"/> make the health
    /// Degraded (default 3; 1 to 100,000).
    /// </summary>
    public int CrashThreshold { get; set; } = 3;

    /// <summary>Gets or sets the window worker crashes are counted in (default 1 minute; 1 s to 1 hour).</summary>
    public TimeSpan CrashWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Checks every value and throws when one is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(CrashThreshold, 1, nameof(CrashThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CrashThreshold, 100_000, nameof(CrashThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(CrashWindow, TimeSpan.FromSeconds(1), nameof(CrashWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CrashWindow, TimeSpan.FromHours(1), nameof(CrashWindow));
    }
}

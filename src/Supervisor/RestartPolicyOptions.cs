namespace SochDb.Isolated.Supervisor;

/// <summary>
/// How a plugin's worker is replaced after it fails: exponential backoff with jitter, and a crash-loop breaker that
/// quarantines the plugin (<see cref="PluginState.Quarantined"/>) until an operator resets it.
/// </summary>
public sealed class RestartPolicyOptions
{
    /// <summary>Gets or sets the delay before the first restart (default 100 ms; 0 to 1 minute).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest delay between restarts (default 30 s; at least <see cref="InitialBackoff"/>, at most 1 hour).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the factor the delay grows by with each failure in the window (default 2; 1 to 10).</summary>
    public double BackoffMultiplier { get; set; } = 2;

    /// <summary>Gets or sets the jitter: each delay is scaled by a random factor in [1 - jitter, 1 + jitter] (default 0.2; 0 to 1).</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>Gets or sets how many failures within <see cref="FailureWindow"/> quarantine the plugin (default 5; 1 to 1000).</summary>
    public int MaxFailures { get; set; } = 5;

    /// <summary>Gets or sets the window failures are counted in (default 60 s; 1 s to 1 day).</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Checks every value and throws when one is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialBackoff, TimeSpan.Zero, nameof(InitialBackoff));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InitialBackoff, TimeSpan.FromMinutes(1), nameof(InitialBackoff));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, InitialBackoff, nameof(MaxBackoff));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBackoff, TimeSpan.FromHours(1), nameof(MaxBackoff));
        if (double.IsNaN(BackoffMultiplier) || BackoffMultiplier < 1 || BackoffMultiplier > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(BackoffMultiplier), BackoffMultiplier, "Must be between 1 and 10.");
        }

        if (double.IsNaN(Jitter) || Jitter < 0 || Jitter > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Must be between 0 and 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFailures, 1, nameof(MaxFailures));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFailures, 1000, nameof(MaxFailures));
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureWindow, TimeSpan.FromSeconds(1), nameof(FailureWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FailureWindow, TimeSpan.FromDays(1), nameof(FailureWindow));
    }
}

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The <c>[resources]</c> section: per-call and per-plugin limits.</summary>
public sealed class ResourceLimits
{
    /// <summary>The largest memory limit a manifest may ask for, in MiB.</summary>
    public const long MaxMemoryLimitMb = 1024;

    /// <summary>The longest per-call timeout a manifest may ask for, in milliseconds.</summary>
    public const long MaxTimeoutMs = 60_000;

    /// <summary>Gets the linear-memory limit of the plugin's store, in MiB (default 16, at most 1024).</summary>
    public long MemoryLimitMb { get; init; } = 16;

    /// <summary>Gets the fuel one call may consume (default 1,000,000).</summary>
    public long FuelLimit { get; init; } = 1_000_000;

    /// <summary>Gets the wall-clock budget of one call in milliseconds (default 100, at most 60,000).</summary>
    public long TimeoutMs { get; init; } = 100;

    /// <summary>Gets the number of calls the plugin may run at once (default 4).</summary>
    public int MaxInstances { get; init; } = 4;

    /// <summary>
    /// Gets the plugin's lifetime fuel budget, or <see langword="null"/> to use the supervisor's default.
    /// A budget lower than the supervisor's lowers it; it can never raise it.
    /// </summary>
    public long? FuelBudget { get; init; }

    /// <summary>Gets the memory limit in bytes.</summary>
    public long MemoryLimitBytes => MemoryLimitMb * 1024 * 1024;
}

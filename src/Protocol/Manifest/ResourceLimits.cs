namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The <c>[resources]</c> section: per-call and per-plugin limits.</summary>
public sealed class ResourceLimits
{
    /// <summary>The largest memory limit a manifest may ask for, in MiB.</summary>
    public const long MaxMemoryLimitMb = 1024;

    /// <summary>The longest per-call timeout a manifest may ask for, in milliseconds.</summary>
    public const long MaxTimeoutMs = 60_000;

    /// <summary>The most host calls a manifest may allow per plugin call.</summary>
    public const long MaxHostCallsLimit = 1_000_000;

    /// <summary>The largest host payload, in or out, a manifest may allow.</summary>
    public const long MaxHostBytesLimit = 64L * 1024 * 1024;

    /// <summary>The most rows a manifest may allow one plugin call to scan.</summary>
    public const long MaxScanRowsLimit = 10_000_000;

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

    /// <summary>Gets the host calls one plugin call may make (default 10,000); past it a host call returns <c>-5</c>.</summary>
    public long MaxHostCalls { get; init; } = 10_000;

    /// <summary>Gets the largest buffer one host call may pass in: a row, a message, a vector (default 1 MiB).</summary>
    public long MaxHostInputBytes { get; init; } = 1024 * 1024;

    /// <summary>Gets the most bytes host calls may return to the guest over one plugin call (default 16 MiB).</summary>
    public long MaxHostOutputBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Gets the most rows <c>scan</c> may return over one plugin call (default 10,000).</summary>
    public long MaxScanRows { get; init; } = 10_000;

    /// <summary>Gets the memory limit in bytes.</summary>
    public long MemoryLimitBytes => MemoryLimitMb * 1024 * 1024;
}

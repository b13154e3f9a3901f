namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>How workers are limited and killed at OS level, on top of Wasmtime's fuel, epochs and store limits.</summary>
public sealed class IsolationOptions
{
    /// <summary>Gets or sets the mechanism (default <see cref="IsolationMode.Auto"/>: the strongest available; a named one that is not available fails the supervisor's start).</summary>
    public IsolationMode Mode { get; set; } = IsolationMode.Auto;

    /// <summary>
    /// Gets or sets the memory a worker may use beyond its plugin's linear-memory limit: the .NET runtime, Wasmtime,
    /// compiled code and the channel (default 256 MiB; 32 MiB to 4 GiB). The OS limit is the plugin's limit plus this.
    /// </summary>
    public long RuntimeMemoryAllowanceBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Gets or sets the most tasks (processes and threads) one worker may hold (default 128; 16 to 4096).</summary>
    public int MaxProcessesPerWorker { get; set; } = 128;

    /// <summary>
    /// Gets or sets the CPU one worker may use per instance, in cores (default 1.0; 0.05 to 64): a worker whose plugin
    /// runs N calls at once (<c>max_instances</c>) may use N times this, at most every core of the machine.
    /// </summary>
    public double CpuCoresPerWorker { get; set; } = 1.0;

    /// <summary>Gets or sets how often the watchdog samples a worker's resident memory when it is the mechanism in force (default 100 ms; 10 ms to 10 s).</summary>
    public TimeSpan WatchdogInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Gets or sets the cgroup file system root to use instead of the real one (default <see langword="null"/>:
    /// <c>/proc/self/mountinfo</c> and <c>/proc/self/cgroup</c> decide). For tests against a fake cgroupfs.
    /// </summary>
    public string? CgroupRootOverride { get; set; }

    /// <summary>Checks every value and throws when one is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown isolation mode.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(RuntimeMemoryAllowanceBytes, 32L * 1024 * 1024, nameof(RuntimeMemoryAllowanceBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RuntimeMemoryAllowanceBytes, 4L * 1024 * 1024 * 1024, nameof(RuntimeMemoryAllowanceBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxProcessesPerWorker, 16, nameof(MaxProcessesPerWorker));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxProcessesPerWorker, 4096, nameof(MaxProcessesPerWorker));
        if (double.IsNaN(CpuCoresPerWorker) || CpuCoresPerWorker < 0.05 || CpuCoresPerWorker > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(CpuCoresPerWorker), CpuCoresPerWorker, "Must be between 0.05 and 64 cores.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(WatchdogInterval, TimeSpan.FromMilliseconds(10), nameof(WatchdogInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WatchdogInterval, TimeSpan.FromSeconds(10), nameof(WatchdogInterval));
    }
}

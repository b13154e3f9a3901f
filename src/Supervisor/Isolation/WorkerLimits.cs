namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The OS-level limits of one worker process.</summary>
/// <param name="MemoryBytes">Resident memory (and swap) the worker may use: the plugin's memory limit plus the runtime allowance.</param>
/// <param name="MaxProcesses">Tasks (processes and threads) the worker's group may hold.</param>
/// <param name="CpuCores">CPU time the worker may use, in cores (1.0 = one full core).</param>
internal sealed record WorkerLimits(long MemoryBytes, int MaxProcesses, double CpuCores)
{
    /// <summary>
    /// Computes a worker's limits: its plugin's linear-memory limit times its instances plus
    /// <see cref="IsolationOptions.RuntimeMemoryAllowanceBytes"/> (the .NET runtime, Wasmtime and compiled code live in the
    /// same process), the per-worker task limit, and <see cref="IsolationOptions.CpuCoresPerWorker"/> per instance, at most
    /// every core: instances exist to run calls at once, and one core shared by all of them would serialize them again.
    /// </summary>
    /// <param name="pluginMemoryLimitBytes">The plugin's memory limit per instance (its manifest's, or the supervisor's default).</param>
    /// <param name="options">The isolation options.</param>
    /// <param name="instances">The instances (stores) the worker may hold; at least 1.</param>
    /// <returns>The limits.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pluginMemoryLimitBytes"/> is negative or <paramref name="instances"/> below 1.</exception>
    /// <exception cref="OverflowException">The sum does not fit in 64 bits.</exception>
    public static WorkerLimits For(long pluginMemoryLimitBytes, IsolationOptions options, int instances = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pluginMemoryLimitBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        ArgumentNullException.ThrowIfNull(options);
        return new WorkerLimits(
            checked((pluginMemoryLimitBytes * instances) + options.RuntimeMemoryAllowanceBytes),
            options.MaxProcessesPerWorker,
            Math.Min(options.CpuCoresPerWorker * instances, Math.Max(options.CpuCoresPerWorker, Environment.ProcessorCount)));
    }
}

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The OS-level limits of one worker process.</summary>
/// <param name="MemoryBytes">Resident memory (and swap) the worker may use: the plugin's memory limit plus the runtime allowance.</param>
/// <param name="MaxProcesses">Tasks (processes and threads) the worker's group may hold.</param>
/// <param name="CpuCores">CPU time the worker may use, in cores (1.0 = one full core).</param>
internal sealed record WorkerLimits(long MemoryBytes, int MaxProcesses, double CpuCores)
{
    /// <summary>
    /// Computes a worker's limits: its plugin's linear-memory limit plus <see cref="IsolationOptions.RuntimeMemoryAllowanceBytes"/>
    /// (the .NET runtime, Wasmtime and compiled code live in the same process), and the per-worker task and CPU limits.
    /// </summary>
    /// <param name="pluginMemoryLimitBytes">The plugin's memory limit (its manifest's, or the supervisor's default).</param>
    /// <param name="options">The isolation options.</param>
    /// <returns>The limits.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pluginMemoryLimitBytes"/> is negative.</exception>
    /// <exception cref="OverflowException">The sum does not fit in 64 bits.</exception>
    public static WorkerLimits For(long pluginMemoryLimitBytes, IsolationOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pluginMemoryLimitBytes);
        ArgumentNullException.ThrowIfNull(options);
        return new WorkerLimits(
            checked(pluginMemoryLimitBytes + options.RuntimeMemoryAllowanceBytes),
            options.MaxProcessesPerWorker,
            options.CpuCoresPerWorker);
    }
}

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The OS-level limits of one worker process.</summary>
/// <param name="MemoryBytes">Resident memory (and swap) the worker may use: the plugin's memory limit plus the runtime allowance.</param>
/// <param name="MaxProcesses">Tasks (processes and threads) the worker's group may hold.</param>
/// <param name="CpuCores">CPU time the worker may use, in cores (1.0 = one full core).</param>
internal sealed record WorkerLimits(long MemoryBytes, int MaxProcesses, double CpuCores);

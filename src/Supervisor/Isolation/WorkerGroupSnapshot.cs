namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>What an isolation group knows about its worker at one moment.</summary>
/// <param name="MemoryBytes">Memory charged to the group now (resident memory for the watchdog), or <see langword="null"/> when unknown.</param>
/// <param name="PeakMemoryBytes">The most memory charged so far, or <see langword="null"/> when unknown.</param>
/// <param name="OomKills">How many times the OS (or the watchdog) killed a process of the group for memory.</param>
/// <param name="MemoryLimitBytes">The memory limit in force.</param>
internal sealed record WorkerGroupSnapshot(long? MemoryBytes, long? PeakMemoryBytes, long OomKills, long MemoryLimitBytes);

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The OS mechanism that limits and kills workers, strongest first.</summary>
public enum IsolationMode
{
    /// <summary>Pick the strongest mechanism this host allows: cgroup v2, cgroup v1, a job object, else the watchdog.</summary>
    Auto = 0,

    /// <summary>Linux cgroup v2: <c>memory.max</c>, <c>memory.swap.max</c>, <c>pids.max</c>, <c>cpu.max</c>, <c>cgroup.kill</c>, <c>memory.events</c>.</summary>
    CgroupV2 = 1,

    /// <summary>Linux cgroup v1: memory (<c>limit_in_bytes</c>, <c>memsw</c>, <c>oom_control</c>), pids and cpu quota controllers.</summary>
    CgroupV1 = 2,

    /// <summary>Windows job objects: kill on close, process memory limit, active process limit, CPU rate.</summary>
    JobObject = 3,

    /// <summary>
    /// No writable OS mechanism: a supervisor thread polls each worker's resident memory and kills it past the limit.
    /// Weaker (a fast allocation can overshoot between polls; no process or CPU limit), and logged as a warning.
    /// </summary>
    Watchdog = 4,
}

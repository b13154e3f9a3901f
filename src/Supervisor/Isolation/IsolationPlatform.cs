namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>What the isolation layer reads and does on the host, gathered so that tests can substitute each part.</summary>
internal sealed record IsolationPlatform
{
    /// <summary>Gets the real host: cgroupfs, <c>/proc/self</c>, the OS's processes and the system clock.</summary>
    public static IsolationPlatform Host { get; } = new()
    {
        FileSystem = CgroupFileSystem.Kernel,
        Processes = OsProcessControl.Instance,
    };

    /// <summary>Gets the file system cgroups are read and written through.</summary>
    public required ICgroupFileSystem FileSystem { get; init; }

    /// <summary>Gets the processes: the supervisor's id, liveness, kill, resident memory.</summary>
    public required IProcessControl Processes { get; init; }

    /// <summary>Gets the path of the supervisor's cgroup membership file (default <c>/proc/self/cgroup</c>).</summary>
    public string ProcSelfCgroupPath { get; init; } = CgroupDiscovery.ProcSelfCgroup;

    /// <summary>Gets the path of the supervisor's mount table (default <c>/proc/self/mountinfo</c>).</summary>
    public string ProcSelfMountInfoPath { get; init; } = CgroupDiscovery.ProcSelfMountInfo;

    /// <summary>Gets the clock for polls and wait budgets.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets a value indicating whether cgroups are worth looking for (Linux, or a fake cgroup root in tests).</summary>
    public bool CgroupsPossible { get; init; } = OperatingSystem.IsLinux();
}

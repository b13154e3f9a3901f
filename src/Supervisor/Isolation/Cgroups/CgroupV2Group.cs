using System.Globalization;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>One worker's cgroup v2 group, <c>&lt;own&gt;/sochdb-isolated-&lt;pid&gt;/w-&lt;name&gt;</c>.</summary>
/// <remarks>Thread-safe: every operation is a few independent file reads or writes.</remarks>
internal sealed class CgroupV2Group : IWorkerGroup
{
    /// <summary>The CPU bandwidth period in microseconds, the kernel's default.</summary>
    internal const int CpuPeriodMicroseconds = 100_000;

    private readonly string directory;
    private readonly bool cpu;
    private readonly IsolationPlatform platform;
    private readonly ILogger logger;
    private readonly Action<CgroupV2Group> removed;
    private WorkerLimits limits;
    private int disposed;

    /// <summary>Initializes a new instance of the <see cref="CgroupV2Group"/> class over a group that exists and is limited.</summary>
    private CgroupV2Group(string directory, WorkerLimits limits, bool cpu, IsolationPlatform platform, ILogger logger, Action<CgroupV2Group> removed)
    {
        this.directory = directory;
        this.limits = limits;
        this.cpu = cpu;
        this.platform = platform;
        this.logger = logger;
        this.removed = removed;
    }

    /// <inheritdoc/>
    public string Name => directory;

    /// <summary>Creates the group and writes its limits.</summary>
    /// <param name="parentDirectory">The supervisor's parent group, whose subtree has memory and pids (and maybe cpu) enabled.</param>
    /// <param name="name">The worker's name.</param>
    /// <param name="limits">The limits.</param>
    /// <param name="cpu">Whether the cpu controller is enabled for the group.</param>
    /// <param name="platform">The host.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="removed">Called once the group is disposed.</param>
    /// <returns>The group.</returns>
    /// <exception cref="IsolationException">The group could not be created or a limit could not be written; nothing is left behind.</exception>
    public static CgroupV2Group Create(string parentDirectory, string name, WorkerLimits limits, bool cpu, IsolationPlatform platform, ILogger logger, Action<CgroupV2Group> removed)
    {
        var fileSystem = platform.FileSystem;
        var directory = Path.Combine(parentDirectory, SupervisorGroupNames.WorkerPrefix + name);
        try
        {
            fileSystem.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IsolationException($"Cannot create the cgroup {directory}: {ex.Message}", ex);
        }

        try
        {
            Write(fileSystem, directory, "memory.max", Invariant(limits.MemoryBytes));

            // Without swap accounting (swapaccount=0, or no swap) the file is absent and memory.max alone bounds the
            // worker; with it, a zero keeps a worker from escaping its limit into swap.
            if (fileSystem.FileExists(Path.Combine(directory, "memory.swap.max")))
            {
                Write(fileSystem, directory, "memory.swap.max", "0");
            }
            else
            {
                IsolationLog.OptionalControlSkipped(logger, directory, "memory.swap.max", "the kernel has no swap accounting");
            }

            Write(fileSystem, directory, "pids.max", Invariant(limits.MaxProcesses));
            if (cpu)
            {
                Write(fileSystem, directory, "cpu.max", string.Create(CultureInfo.InvariantCulture, $"{CpuQuotaMicroseconds(limits.CpuCores)} {CpuPeriodMicroseconds}"));
            }
        }
        catch (IsolationException)
        {
            CgroupOperations.RemoveTrees(fileSystem, [directory]);
            throw;
        }

        IsolationLog.GroupCreated(logger, directory, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
        return new CgroupV2Group(directory, limits, cpu, platform, logger, removed);
    }

    /// <summary>Converts cores to a quota per <see cref="CpuPeriodMicroseconds"/>, at least the kernel's 1 ms minimum.</summary>
    /// <param name="cores">The cores.</param>
    /// <returns>The quota in microseconds.</returns>
    internal static long CpuQuotaMicroseconds(double cores) => Math.Max(1000, (long)Math.Round(cores * CpuPeriodMicroseconds));

    /// <inheritdoc/>
    public void Add(int pid)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        try
        {
            platform.FileSystem.WriteAllText(Path.Combine(directory, "cgroup.procs"), Invariant(pid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IsolationException($"Cannot move process {pid} into the cgroup {directory}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    /// <remarks>memory.swap.max stays 0; memory.max lowered below the group's use makes the kernel reclaim, or OOM-kill the worker.</remarks>
    public void SetLimits(WorkerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var fileSystem = platform.FileSystem;
        var old = Volatile.Read(ref this.limits);
        if (limits.MemoryBytes != old.MemoryBytes)
        {
            Write(fileSystem, directory, "memory.max", Invariant(limits.MemoryBytes));
        }

        if (limits.MaxProcesses != old.MaxProcesses)
        {
            Write(fileSystem, directory, "pids.max", Invariant(limits.MaxProcesses));
        }

        if (cpu && CpuQuotaMicroseconds(limits.CpuCores) != CpuQuotaMicroseconds(old.CpuCores))
        {
            Write(fileSystem, directory, "cpu.max", string.Create(CultureInfo.InvariantCulture, $"{CpuQuotaMicroseconds(limits.CpuCores)} {CpuPeriodMicroseconds}"));
        }

        Volatile.Write(ref this.limits, limits);
        IsolationLog.GroupLimitsChanged(logger, directory, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
    }

    /// <inheritdoc/>
    public void Kill()
    {
        var failures = CgroupOperations.Kill(platform.FileSystem, platform.Processes, [directory]);
        if (failures.Count > 0)
        {
            IsolationLog.KillFailed(logger, directory, string.Join("; ", failures));
        }
    }

    /// <inheritdoc/>
    public WorkerGroupSnapshot Read()
    {
        var fileSystem = platform.FileSystem;
        return new WorkerGroupSnapshot(
            CgroupOperations.ReadLong(fileSystem, Path.Combine(directory, "memory.current")),
            CgroupOperations.ReadLong(fileSystem, Path.Combine(directory, "memory.peak")),
            CgroupOperations.ReadKeyed(fileSystem, Path.Combine(directory, "memory.events"), "oom_kill") ?? 0,
            Volatile.Read(ref limits).MemoryBytes);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await CgroupOperations.KillAndRemoveAsync(platform, [directory], directory, logger).ConfigureAwait(false);
        }
        finally
        {
            removed(this);
        }
    }

    /// <summary>Writes one control, as an <see cref="IsolationException"/> naming the file on failure.</summary>
    private static void Write(ICgroupFileSystem fileSystem, string directory, string file, string value)
    {
        try
        {
            fileSystem.WriteAllText(Path.Combine(directory, file), value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IsolationException($"Cannot write '{value}' to {Path.Combine(directory, file)}: {ex.Message}", ex);
        }
    }

    /// <summary>Formats a number as the kernel parses it.</summary>
    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

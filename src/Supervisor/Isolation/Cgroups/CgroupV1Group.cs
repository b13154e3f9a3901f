using System.Globalization;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// One worker's cgroup v1 groups: <c>w-&lt;name&gt;</c> beneath the supervisor's parent group in the memory and pids
/// hierarchies, and in cpu and freezer when those are usable.
/// </summary>
/// <remarks>Thread-safe: every operation is a few independent file reads or writes.</remarks>
internal sealed class CgroupV1Group : IWorkerGroup
{
    private readonly string memory;
    private readonly IReadOnlyList<string> directories;
    private readonly IReadOnlyList<string> optionalDirectories;
    private readonly string pids;
    private readonly string? cpu;
    private readonly IsolationPlatform platform;
    private readonly ILogger logger;
    private readonly Action<CgroupV1Group> removed;
    private WorkerLimits limits;
    private int disposed;

    /// <summary>Initializes a new instance of the <see cref="CgroupV1Group"/> class over groups that exist and are limited.</summary>
    private CgroupV1Group(string memory, string pids, string? cpu, IReadOnlyList<string> directories, IReadOnlyList<string> optionalDirectories, WorkerLimits limits, IsolationPlatform platform, ILogger logger, Action<CgroupV1Group> removed)
    {
        this.memory = memory;
        this.pids = pids;
        this.cpu = cpu;
        this.directories = directories;
        this.optionalDirectories = optionalDirectories;
        this.limits = limits;
        this.platform = platform;
        this.logger = logger;
        this.removed = removed;
    }

    /// <inheritdoc/>
    public string Name => memory;

    /// <summary>Gets every directory of the group, one per hierarchy.</summary>
    internal IReadOnlyList<string> Directories => directories;

    /// <summary>Creates the groups and writes their limits.</summary>
    /// <param name="parents">The supervisor's parent group per controller (memory and pids required; cpu and freezer optional).</param>
    /// <param name="name">The worker's name.</param>
    /// <param name="limits">The limits.</param>
    /// <param name="platform">The host.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="removed">Called once the group is disposed.</param>
    /// <returns>The group.</returns>
    /// <exception cref="IsolationException">A required group or limit could not be created or written; nothing is left behind.</exception>
    public static CgroupV1Group Create(IReadOnlyDictionary<string, string> parents, string name, WorkerLimits limits, IsolationPlatform platform, ILogger logger, Action<CgroupV1Group> removed)
    {
        var fileSystem = platform.FileSystem;
        var leaf = SupervisorGroupNames.WorkerPrefix + name;
        var memory = Path.Combine(parents["memory"], leaf);
        var pids = Path.Combine(parents["pids"], leaf);
        var cpu = parents.TryGetValue("cpu", out var cpuParent) ? Path.Combine(cpuParent, leaf) : null;
        var freezer = parents.TryGetValue("freezer", out var freezerParent) ? Path.Combine(freezerParent, leaf) : null;

        // Controllers may share a hierarchy (mounted together), and then share a directory.
        var created = new List<string>();
        var optional = new List<string>();
        try
        {
            foreach (var directory in new[] { memory, pids }.Distinct(StringComparer.Ordinal))
            {
                CreateDirectory(fileSystem, directory);
                created.Add(directory);
            }

            foreach (var directory in new[] { cpu, freezer }.OfType<string>().Distinct(StringComparer.Ordinal).Where(d => !created.Contains(d)))
            {
                try
                {
                    CreateDirectory(fileSystem, directory);
                    created.Add(directory);
                    optional.Add(directory);
                }
                catch (IsolationException ex)
                {
                    IsolationLog.OptionalControlSkipped(logger, directory, "group", ex.Message);
                    cpu = cpu == directory ? null : cpu;
                }
            }

            WriteMemoryLimits(fileSystem, memory, limits.MemoryBytes, logger);
            Write(fileSystem, pids, "pids.max", Invariant(limits.MaxProcesses));
            if (cpu is not null && created.Contains(cpu))
            {
                try
                {
                    Write(fileSystem, cpu, "cpu.cfs_period_us", Invariant(CgroupV2Group.CpuPeriodMicroseconds));
                    Write(fileSystem, cpu, "cpu.cfs_quota_us", Invariant(CgroupV2Group.CpuQuotaMicroseconds(limits.CpuCores)));
                }
                catch (IsolationException ex)
                {
                    IsolationLog.OptionalControlSkipped(logger, cpu, "cpu quota", ex.Message);
                    cpu = null;
                }
            }
            else
            {
                cpu = null;
            }
        }
        catch (IsolationException)
        {
            CgroupOperations.RemoveTrees(fileSystem, created);
            throw;
        }

        IsolationLog.GroupCreated(logger, memory, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
        return new CgroupV1Group(memory, pids, cpu, created, optional, limits, platform, logger, removed);
    }

    /// <inheritdoc/>
    public void Add(int pid)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        foreach (var directory in directories)
        {
            try
            {
                platform.FileSystem.WriteAllText(Path.Combine(directory, "cgroup.procs"), Invariant(pid));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!optionalDirectories.Contains(directory))
                {
                    throw new IsolationException($"Cannot move process {pid} into the cgroup {directory}: {ex.Message}", ex);
                }

                IsolationLog.OptionalControlSkipped(logger, directory, "membership", ex.Message);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The kernel refuses a memsw limit below the memory limit, so a raise writes memsw first and a cut writes the
    /// memory limit first; either way the pair never passes through a refused state. The CPU quota changes only where
    /// it was set at creation.
    /// </remarks>
    public void SetLimits(WorkerLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var fileSystem = platform.FileSystem;
        var old = Volatile.Read(ref this.limits);
        if (limits.MemoryBytes != old.MemoryBytes)
        {
            var value = Invariant(limits.MemoryBytes);
            var swap = fileSystem.FileExists(Path.Combine(memory, "memory.memsw.limit_in_bytes"));
            if (limits.MemoryBytes > old.MemoryBytes && swap)
            {
                Write(fileSystem, memory, "memory.memsw.limit_in_bytes", value);
            }

            Write(fileSystem, memory, "memory.limit_in_bytes", value);
            if (limits.MemoryBytes < old.MemoryBytes && swap)
            {
                Write(fileSystem, memory, "memory.memsw.limit_in_bytes", value);
            }
        }

        if (limits.MaxProcesses != old.MaxProcesses)
        {
            Write(fileSystem, pids, "pids.max", Invariant(limits.MaxProcesses));
        }

        if (cpu is not null && CgroupV2Group.CpuQuotaMicroseconds(limits.CpuCores) != CgroupV2Group.CpuQuotaMicroseconds(old.CpuCores))
        {
            Write(fileSystem, cpu, "cpu.cfs_quota_us", Invariant(CgroupV2Group.CpuQuotaMicroseconds(limits.CpuCores)));
        }

        Volatile.Write(ref this.limits, limits);
        IsolationLog.GroupLimitsChanged(logger, memory, limits.MemoryBytes, limits.MaxProcesses, limits.CpuCores);
    }

    /// <inheritdoc/>
    public void Kill()
    {
        var failures = CgroupOperations.Kill(platform.FileSystem, platform.Processes, directories);
        if (failures.Count > 0)
        {
            IsolationLog.KillFailed(logger, memory, string.Join("; ", failures));
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The OOM-kill count is <c>oom_kill</c> of <c>memory.oom_control</c> (kernel 4.13 and later; 0 before).
    /// <c>memory.failcnt</c> is not used: it counts charges that hit the limit, most of which reclaim resolves
    /// without killing anything.
    /// </remarks>
    public WorkerGroupSnapshot Read()
    {
        var fileSystem = platform.FileSystem;
        return new WorkerGroupSnapshot(
            CgroupOperations.ReadLong(fileSystem, Path.Combine(memory, "memory.usage_in_bytes")),
            CgroupOperations.ReadLong(fileSystem, Path.Combine(memory, "memory.max_usage_in_bytes")),
            CgroupOperations.ReadKeyed(fileSystem, Path.Combine(memory, "memory.oom_control"), "oom_kill") ?? 0,
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
            await CgroupOperations.KillAndRemoveAsync(platform, directories, memory, logger).ConfigureAwait(false);
        }
        finally
        {
            removed(this);
        }
    }

    /// <summary>Writes the memory (and memory + swap) limit of the memory group.</summary>
    private static void WriteMemoryLimits(ICgroupFileSystem fileSystem, string memory, long bytes, ILogger logger)
    {
        var value = Invariant(bytes);

        // memsw (memory + swap) may never be below limit_in_bytes, so the limit goes first: memsw is still unlimited
        // then, and setting it to the same value afterwards keeps the worker out of swap.
        Write(fileSystem, memory, "memory.limit_in_bytes", value);
        if (fileSystem.FileExists(Path.Combine(memory, "memory.memsw.limit_in_bytes")))
        {
            Write(fileSystem, memory, "memory.memsw.limit_in_bytes", value);
        }
        else
        {
            IsolationLog.OptionalControlSkipped(logger, memory, "memory.memsw.limit_in_bytes", "the kernel has no swap accounting");
        }

        // Charges made before the move (the worker's first pages) follow it into the group. Deprecated, and refused
        // with EINVAL by recent kernels; the limit holds either way for everything charged after the move.
        try
        {
            fileSystem.WriteAllText(Path.Combine(memory, "memory.move_charge_at_immigrate"), "1");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            IsolationLog.OptionalControlSkipped(logger, memory, "memory.move_charge_at_immigrate", ex.Message);
        }
    }

    /// <summary>Creates one group, as an <see cref="IsolationException"/> on failure.</summary>
    private static void CreateDirectory(ICgroupFileSystem fileSystem, string directory)
    {
        try
        {
            fileSystem.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IsolationException($"Cannot create the cgroup {directory}: {ex.Message}", ex);
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

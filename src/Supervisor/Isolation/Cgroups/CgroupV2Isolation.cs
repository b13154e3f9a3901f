using System.Globalization;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// Workers in cgroup v2 groups beneath the supervisor's own group: <c>&lt;own&gt;/sochdb-isolated-&lt;pid&gt;/w-&lt;name&gt;</c>,
/// each with <c>memory.max</c>, <c>memory.swap.max</c> = 0, <c>pids.max</c> and (when available) <c>cpu.max</c>.
/// </summary>
/// <remarks>
/// <para>
/// A v2 group only has the interface files of the controllers its parent enables in <c>cgroup.subtree_control</c>,
/// so memory and pids must be enabled in the supervisor's own group and in the parent group. The parent holds no
/// processes, so enabling them there always works. In the supervisor's own group it fails with EBUSY when that group
/// holds processes and is not the root ("no internal processes"). Then, and only when the supervisor is the sole
/// process there (typically a container whose main process is the supervisor, or a systemd unit with
/// <c>Delegate=yes</c>), the supervisor moves itself into a leaf <c>&lt;own&gt;/supervisor</c> beneath its own group
/// and retries: nothing outside its own group changes, and no other process is moved. With other processes in the
/// group the supervisor may not move them, and the mode is unavailable (the reason says so).
/// </para>
/// <para>
/// Neither step is undone on dispose: disabling a controller could strip limits from groups created meanwhile, and
/// moving back is forbidden once the group delegates controllers. A second isolation in the same process reuses the
/// state (see <see cref="ResolveOwnDirectory"/>). Thread-safe.
/// </para>
/// </remarks>
internal sealed class CgroupV2Isolation : IWorkerIsolation
{
    /// <summary>The leaf the supervisor moves itself into when its own group must delegate controllers.</summary>
    internal const string SupervisorLeaf = "supervisor";

    /// <summary>The controllers without which v2 is not used.</summary>
    private static readonly string[] RequiredControllers = ["memory", "pids"];
    /// <summary>Guards <see cref="MovedFrom"/>.</summary>
    private static readonly Lock MoveGate = new();
    /// <summary>Per leaf this process moved itself into, the group it came from.</summary>
    private static readonly Dictionary<string, string> MovedFrom = new(StringComparer.Ordinal);

    private readonly string parentDirectory;
    private readonly bool cpu;
    private readonly IsolationPlatform platform;
    private readonly ILogger logger;
    private readonly OwnedGroups<CgroupV2Group> groups = new();

    /// <summary>Initializes a new instance of the <see cref="CgroupV2Isolation"/> class over a parent group that exists and delegates.</summary>
    private CgroupV2Isolation(string parentDirectory, bool cpu, IsolationPlatform platform, ILogger logger)
    {
        this.parentDirectory = parentDirectory;
        this.cpu = cpu;
        this.platform = platform;
        this.logger = logger;
    }

    /// <inheritdoc/>
    public IsolationMode Mode => IsolationMode.CgroupV2;

    /// <inheritdoc/>
    public string Description => $"cgroup v2 groups beneath {parentDirectory} (memory, pids{(cpu ? ", cpu" : ", no cpu controller")})";

    /// <summary>Gets the parent group all workers' groups are created in.</summary>
    internal string ParentDirectory => parentDirectory;

    /// <summary>Sets up the parent group beneath the supervisor's own group, after removing stale ones.</summary>
    /// <param name="ownDirectory">The supervisor's own v2 group.</param>
    /// <param name="platform">The host.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The isolation.</returns>
    /// <exception cref="IsolationException">cgroup v2 is not usable here; the message says why.</exception>
    public static CgroupV2Isolation Create(string ownDirectory, IsolationPlatform platform, ILogger logger)
    {
        var fileSystem = platform.FileSystem;
        ownDirectory = ResolveOwnDirectory(ownDirectory);
        if (!fileSystem.DirectoryExists(ownDirectory))
        {
            throw new IsolationException($"The supervisor's cgroup v2 group {ownDirectory} does not exist.");
        }

        var available = ReadControllers(fileSystem, Path.Combine(ownDirectory, "cgroup.controllers"));
        var missing = RequiredControllers.Where(c => !available.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new IsolationException(
                $"The supervisor's cgroup v2 group {ownDirectory} lacks the {string.Join(" and ", missing)} controller(s) " +
                $"(available: {(available.Count == 0 ? "none" : string.Join(' ', available))}); they are bound to cgroup v1 " +
                "or not enabled in the parent group's cgroup.subtree_control.");
        }

        StaleGroupCleaner.Clean(platform, [ownDirectory], logger);
        var cpu = Delegate(ownDirectory, available.Contains("cpu"), platform, logger);

        var name = SupervisorGroupNames.Reserve(fileSystem, platform.Processes.CurrentProcessId, [ownDirectory]);
        var parent = Path.Combine(ownDirectory, name);
        try
        {
            fileSystem.CreateDirectory(parent);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SupervisorGroupNames.Release([parent]);
            throw new IsolationException($"Cannot create the cgroup {parent}: {ex.Message}", ex);
        }

        try
        {
            fileSystem.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+memory +pids");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CgroupOperations.RemoveTrees(fileSystem, [parent]);
            SupervisorGroupNames.Release([parent]);
            throw new IsolationException($"Cannot enable memory and pids in {parent}/cgroup.subtree_control: {ex.Message}", ex);
        }

        if (cpu)
        {
            try
            {
                fileSystem.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+cpu");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A realtime thread outside any cpu group makes the kernel refuse +cpu; workers then run without cpu.max.
                IsolationLog.OptionalControlSkipped(logger, parent, "cpu controller", ex.Message);
                cpu = false;
            }
        }

        return new CgroupV2Isolation(parent, cpu, platform, logger);
    }

    /// <inheritdoc/>
    public IWorkerGroup CreateGroup(string name, WorkerLimits limits)
    {
        SupervisorGroupNames.ValidateWorkerName(name);
        ArgumentNullException.ThrowIfNull(limits);
        return groups.Create(this, forget => CgroupV2Group.Create(parentDirectory, name, limits, cpu, platform, logger, forget));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // Groups the owner did not dispose would keep the parent busy; end them the same way.
        if (!await groups.CloseAsync().ConfigureAwait(false))
        {
            return;
        }

        var failures = CgroupOperations.RemoveTrees(platform.FileSystem, [parentDirectory]);
        SupervisorGroupNames.Release([parentDirectory]);
        if (failures.Count > 0)
        {
            IsolationLog.GroupRemoveFailed(logger, parentDirectory, string.Join("; ", failures));
        }
        else
        {
            IsolationLog.GroupRemoved(logger, parentDirectory);
        }
    }

    /// <summary>
    /// Maps a leaf this process moved itself into back to the group it moved from, so that a second isolation in the
    /// same process creates its parent beside the first instead of nesting beneath the leaf.
    /// </summary>
    /// <param name="ownDirectory">The group <c>/proc/self/cgroup</c> names.</param>
    /// <returns>The group to create parents in.</returns>
    internal static string ResolveOwnDirectory(string ownDirectory)
    {
        lock (MoveGate)
        {
            return MovedFrom.TryGetValue(ownDirectory, out var from) ? from : ownDirectory;
        }
    }

    /// <summary>
    /// Enables memory and pids (and cpu when available) in the supervisor's own <c>cgroup.subtree_control</c>, moving
    /// the supervisor into a leaf first when the kernel refuses because the group holds processes.
    /// </summary>
    /// <returns>Whether cpu is delegated.</returns>
    private static bool Delegate(string ownDirectory, bool cpuAvailable, IsolationPlatform platform, ILogger logger)
    {
        var fileSystem = platform.FileSystem;
        var subtree = Path.Combine(ownDirectory, "cgroup.subtree_control");
        var enabled = ReadControllers(fileSystem, subtree);
        var needed = RequiredControllers.Where(c => !enabled.Contains(c)).ToList();
        if (needed.Count > 0)
        {
            var request = string.Join(' ', needed.Select(c => "+" + c));
            try
            {
                fileSystem.WriteAllText(subtree, request);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                MoveIntoLeafAndRetry(ownDirectory, request, ex, platform, logger);
            }
        }

        if (!cpuAvailable)
        {
            return false;
        }

        if (ReadControllers(fileSystem, subtree).Contains("cpu"))
        {
            return true;
        }

        try
        {
            fileSystem.WriteAllText(subtree, "+cpu");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            IsolationLog.OptionalControlSkipped(logger, ownDirectory, "cpu controller", ex.Message);
            return false;
        }
    }

    /// <summary>Moves the supervisor, when it is alone in its group, into the leaf and enables the controllers again; undoes the move if that still fails.</summary>
    private static void MoveIntoLeafAndRetry(string ownDirectory, string request, Exception refusal, IsolationPlatform platform, ILogger logger)
    {
        var fileSystem = platform.FileSystem;
        var self = platform.Processes.CurrentProcessId;
        var members = CgroupOperations.ReadPids(fileSystem, ownDirectory);
        if (members.Count != 1 || members[0] != self)
        {
            throw new IsolationException(
                $"Cannot enable {request} in {ownDirectory}/cgroup.subtree_control ({refusal.Message}): a cgroup v2 group that " +
                $"holds processes ({members.Count}: {string.Join(", ", members.Take(8))}) cannot give controllers to child groups, " +
                "and the supervisor moves only itself. Run the supervisor in a cgroup of its own (systemd Delegate=yes, or a " +
                "container whose only process is the supervisor).",
                refusal);
        }

        var leaf = Path.Combine(ownDirectory, SupervisorLeaf);
        var createdLeaf = false;
        try
        {
            if (!fileSystem.DirectoryExists(leaf))
            {
                fileSystem.CreateDirectory(leaf);
                createdLeaf = true;
            }

            fileSystem.WriteAllText(Path.Combine(leaf, "cgroup.procs"), self.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (createdLeaf)
            {
                CgroupOperations.RemoveTrees(fileSystem, [leaf]);
            }

            throw new IsolationException($"Cannot move the supervisor into {leaf} so that {ownDirectory} may delegate controllers: {ex.Message}", ex);
        }

        try
        {
            fileSystem.WriteAllText(Path.Combine(ownDirectory, "cgroup.subtree_control"), request);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Back to where it was: the group delegates nothing, so it may hold the supervisor again.
            try
            {
                fileSystem.WriteAllText(Path.Combine(ownDirectory, "cgroup.procs"), self.ToString(CultureInfo.InvariantCulture));
                if (createdLeaf)
                {
                    CgroupOperations.RemoveTrees(fileSystem, [leaf]);
                }
            }
            catch (Exception undo) when (undo is IOException or UnauthorizedAccessException)
            {
                IsolationLog.GroupRemoveFailed(logger, leaf, undo.Message);
            }

            throw new IsolationException($"Cannot enable {request} in {ownDirectory}/cgroup.subtree_control even with the supervisor moved to {leaf}: {ex.Message}", ex);
        }

        lock (MoveGate)
        {
            MovedFrom[leaf] = ownDirectory;
        }

        IsolationLog.SupervisorMovedToLeaf(logger, self, leaf, ownDirectory);
    }

    /// <summary>Reads a space-separated controller list (<c>cgroup.controllers</c>, <c>cgroup.subtree_control</c>).</summary>
    private static HashSet<string> ReadControllers(ICgroupFileSystem fileSystem, string path)
    {
        try
        {
            return new HashSet<string>(fileSystem.ReadAllText(path).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IsolationException($"Cannot read {path}: {ex.Message}", ex);
        }
    }
}

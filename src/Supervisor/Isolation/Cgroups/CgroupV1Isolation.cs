using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// Workers in cgroup v1 groups: in each controller hierarchy, <c>&lt;own&gt;/sochdb-isolated-&lt;pid&gt;/w-&lt;name&gt;</c>
/// beneath the supervisor's own group in that hierarchy (which may differ per controller). Memory and pids are
/// required; cpu (quota) and freezer (race-free kill) are used when their groups can be created.
/// </summary>
/// <remarks>
/// v1 has no "no internal processes" rule, so the parent groups need no delegation step. The memory group's limit
/// covers memory + swap through <c>memory.memsw.limit_in_bytes</c> when the kernel accounts swap. Thread-safe.
/// </remarks>
internal sealed class CgroupV1Isolation : IWorkerIsolation
{
    /// <summary>The controllers without which v1 is not used.</summary>
    private static readonly string[] Required = ["memory", "pids"];
    /// <summary>The controllers used when their groups can be created.</summary>
    private static readonly string[] Optional = ["cpu", "freezer"];

    private readonly IReadOnlyDictionary<string, string> parents;
    private readonly IReadOnlyList<string> reserved;
    private readonly IsolationPlatform platform;
    private readonly ILogger logger;
    private readonly OwnedGroups<CgroupV1Group> groups = new();

    /// <summary>Initializes a new instance of the <see cref="CgroupV1Isolation"/> class over parent groups that exist.</summary>
    private CgroupV1Isolation(IReadOnlyDictionary<string, string> parents, IReadOnlyList<string> reserved, IsolationPlatform platform, ILogger logger)
    {
        this.parents = parents;
        this.reserved = reserved;
        this.platform = platform;
        this.logger = logger;
    }

    /// <inheritdoc/>
    public IsolationMode Mode => IsolationMode.CgroupV1;

    /// <inheritdoc/>
    public string Description => "cgroup v1 groups beneath " + string.Join(", ", parents.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));

    /// <summary>Gets the supervisor's parent group per controller.</summary>
    internal IReadOnlyDictionary<string, string> ParentDirectories => parents;

    /// <summary>Sets up the parent groups beneath the supervisor's own groups, after removing stale ones.</summary>
    /// <param name="ownDirectories">The supervisor's own group per v1 controller.</param>
    /// <param name="platform">The host.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The isolation.</returns>
    /// <exception cref="IsolationException">cgroup v1 is not usable here; the message says why.</exception>
    public static CgroupV1Isolation Create(IReadOnlyDictionary<string, string> ownDirectories, IsolationPlatform platform, ILogger logger)
    {
        var fileSystem = platform.FileSystem;
        var missing = Required.Where(c => !ownDirectories.TryGetValue(c, out var d) || !fileSystem.DirectoryExists(d)).ToList();
        if (missing.Count > 0)
        {
            throw new IsolationException($"The cgroup v1 {string.Join(" and ", missing)} controller(s) are not mounted where the supervisor can see its own group.");
        }

        var own = Required.Concat(Optional)
            .Where(c => ownDirectories.TryGetValue(c, out var d) && fileSystem.DirectoryExists(d))
            .ToDictionary(c => c, c => ownDirectories[c], StringComparer.Ordinal);
        StaleGroupCleaner.Clean(platform, own.Values, logger);

        var ownList = own.Values.Distinct(StringComparer.Ordinal).ToList();
        var name = SupervisorGroupNames.Reserve(fileSystem, platform.Processes.CurrentProcessId, ownList);
        var reserved = ownList.Select(d => Path.Combine(d, name)).ToList();
        var parents = new Dictionary<string, string>(StringComparer.Ordinal);
        var created = new List<string>();
        foreach (var (controller, directory) in own)
        {
            var parent = Path.Combine(directory, name);
            if (!created.Contains(parent))
            {
                try
                {
                    fileSystem.CreateDirectory(parent);
                    created.Add(parent);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    if (Required.Contains(controller))
                    {
                        CgroupOperations.RemoveTrees(fileSystem, created);
                        SupervisorGroupNames.Release(reserved);
                        throw new IsolationException($"Cannot create the cgroup {parent}: {ex.Message}", ex);
                    }

                    IsolationLog.OptionalControlSkipped(logger, parent, controller + " controller", ex.Message);
                    continue;
                }
            }

            parents[controller] = parent;
        }

        return new CgroupV1Isolation(parents, reserved, platform, logger);
    }

    /// <inheritdoc/>
    public IWorkerGroup CreateGroup(string name, WorkerLimits limits)
    {
        SupervisorGroupNames.ValidateWorkerName(name);
        ArgumentNullException.ThrowIfNull(limits);
        return groups.Create(this, forget => CgroupV1Group.Create(parents, name, limits, platform, logger, forget));
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!await groups.CloseAsync().ConfigureAwait(false))
        {
            return;
        }

        var directories = parents.Values.Distinct(StringComparer.Ordinal).ToList();
        var failures = CgroupOperations.RemoveTrees(platform.FileSystem, directories);
        SupervisorGroupNames.Release(reserved);
        if (failures.Count > 0)
        {
            IsolationLog.GroupRemoveFailed(logger, string.Join(", ", directories), string.Join("; ", failures));
        }
        else
        {
            IsolationLog.GroupRemoved(logger, string.Join(", ", directories));
        }
    }
}

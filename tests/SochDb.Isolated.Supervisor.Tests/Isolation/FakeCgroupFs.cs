using System.Globalization;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

/// <summary>
/// A cgroup file system in a temp directory that enforces the kernel rules the isolation code depends on: mkdir
/// creates the interface files of the controllers the parent enables, rmdir fails with EBUSY while a group holds
/// processes or child groups, writing a pid to <c>cgroup.procs</c> moves it out of every other group of the
/// hierarchy (ESRCH for a dead one), v2 refuses internal processes, v1 keeps <c>memsw</c> at or above
/// <c>limit_in_bytes</c>, and <c>cgroup.kill</c> kills a whole subtree.
/// </summary>
internal sealed class FakeCgroupFs : ICgroupFileSystem, IDisposable
{
    private const int ENOENT = 2;
    private const int ESRCH = 3;
    private const int EBUSY = 16;
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const string Unlimited = "9223372036854771712";

    private readonly List<Hierarchy> hierarchies = [];
    private readonly Lock gate = new();
    private readonly List<(string Path, string Value)> writes = [];

    public FakeCgroupFs(FakeProcesses? processes = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "sochdb-fakecg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Processes = processes ?? new FakeProcesses();
        Processes.Exited = pid =>
        {
            lock (gate)
            {
                foreach (var hierarchy in hierarchies)
                {
                    RemoveFromHierarchy(hierarchy, pid);
                }
            }
        };
    }

    public string Root { get; }

    public FakeProcesses Processes { get; }

    /// <summary>Gets or sets a value indicating whether v2 groups get <c>cgroup.kill</c> (kernel 5.14+).</summary>
    public bool CgroupKill { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the kernel accounts swap (<c>memory.swap.max</c>, <c>memory.memsw.*</c>).</summary>
    public bool SwapAccounting { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether <c>memory.move_charge_at_immigrate</c> refuses writes, as kernels 6.x do.</summary>
    public bool MoveChargeRefused { get; set; }

    /// <summary>Gets or sets a predicate of directories mkdir refuses with EACCES.</summary>
    public Func<string, bool> DenyCreate { get; set; } = _ => false;

    public IReadOnlyList<(string Path, string Value)> Writes
    {
        get
        {
            lock (gate)
            {
                return [.. writes];
            }
        }
    }

    public IsolationPlatform Platform => new()
    {
        FileSystem = this,
        Processes = Processes,
        CgroupsPossible = true,
        ProcSelfCgroupPath = Path.Combine(Root, "proc-self-cgroup"),
        ProcSelfMountInfoPath = Path.Combine(Root, "proc-self-mountinfo"),
    };

    /// <summary>Adds a cgroup2 mount (its root group) at <paramref name="relative"/> with these controllers available.</summary>
    public string AddUnifiedRoot(string relative, params string[] controllers)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(path);
        var hierarchy = new Hierarchy(path, Unified: true, controllers);
        hierarchies.Add(hierarchy);
        File.WriteAllText(Path.Combine(path, "cgroup.controllers"), string.Join(' ', controllers));
        File.WriteAllText(Path.Combine(path, "cgroup.subtree_control"), string.Empty);
        File.WriteAllText(Path.Combine(path, "cgroup.procs"), string.Empty);
        return path;
    }

    /// <summary>Adds a v1 hierarchy (its root group) with these controllers bound to it.</summary>
    public string AddV1Root(string relative, params string[] controllers)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(path);
        var hierarchy = new Hierarchy(path, Unified: false, controllers);
        hierarchies.Add(hierarchy);
        File.WriteAllText(Path.Combine(path, "cgroup.procs"), string.Empty);
        return path;
    }

    /// <summary>Creates groups down to <paramref name="path"/> as mkdir would, level by level.</summary>
    public string MakeGroups(string path)
    {
        var hierarchy = Find(path) ?? throw new InvalidOperationException($"{path} is in no fake hierarchy");
        var relative = Path.GetRelativePath(hierarchy.Path, path);
        var current = hierarchy.Path;
        foreach (var segment in relative.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, segment);
            if (!Directory.Exists(current))
            {
                CreateDirectory(current);
            }
        }

        return path;
    }

    /// <summary>Puts a process in a group by a write to its <c>cgroup.procs</c>, as a test's set-up.</summary>
    public void Place(string group, int pid) => WriteAllText(Path.Combine(group, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    public IReadOnlyList<int> Pids(string group) =>
        File.ReadAllText(Path.Combine(group, "cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

    /// <summary>Every directory beneath the fake root, relative to it with '/' separators.</summary>
    public IReadOnlyList<string> AllDirectories() =>
        Directory.GetDirectories(Root, "*", SearchOption.AllDirectories)
            .Select(d => Path.GetRelativePath(Root, d).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    public void SetFile(string path, string content) => File.WriteAllText(path, content);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public bool FileExists(string path) => File.Exists(path);

    public void CreateDirectory(string path)
    {
        lock (gate)
        {
            var hierarchy = Find(path) ?? throw Errno(ENOENT, path);
            var parent = Path.GetDirectoryName(path)!;
            if (Directory.Exists(path))
            {
                throw Errno(EEXIST, path);
            }

            if (!Directory.Exists(parent))
            {
                throw new DirectoryNotFoundException(path);
            }

            if (DenyCreate(path))
            {
                throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            }

            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "cgroup.procs"), string.Empty);
            if (hierarchy.Unified)
            {
                var enabled = ReadSet(Path.Combine(parent, "cgroup.subtree_control"));
                File.WriteAllText(Path.Combine(path, "cgroup.controllers"), string.Join(' ', enabled));
                File.WriteAllText(Path.Combine(path, "cgroup.subtree_control"), string.Empty);
                File.WriteAllText(Path.Combine(path, "cgroup.events"), "populated 0\nfrozen 0\n");
                if (CgroupKill)
                {
                    File.WriteAllText(Path.Combine(path, "cgroup.kill"), string.Empty);
                }

                foreach (var controller in enabled)
                {
                    AddV2Files(path, controller);
                }
            }
            else
            {
                foreach (var controller in hierarchy.Controllers)
                {
                    AddV1Files(path, controller);
                }
            }
        }
    }

    public void RemoveDirectory(string path)
    {
        lock (gate)
        {
            var hierarchy = Find(path);
            if (!Directory.Exists(path))
            {
                throw new DirectoryNotFoundException(path);
            }

            if (hierarchy is null || hierarchy.Path == path || Directory.GetDirectories(path).Length > 0 || ReadPids(path).Count > 0)
            {
                throw Errno(EBUSY, path);
            }

            Directory.Delete(path, recursive: true);
        }
    }

    public IReadOnlyList<string> GetDirectories(string path) => Directory.Exists(path) ? Directory.GetDirectories(path) : [];

    public string ReadAllText(string path) => File.ReadAllText(path);

    public void WriteAllText(string path, string contents)
    {
        lock (gate)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Could not find file '{path}'.", path);
            }

            writes.Add((path, contents));
            var directory = Path.GetDirectoryName(path)!;
            var hierarchy = Find(directory)!;
            var value = contents.Trim();
            switch (Path.GetFileName(path))
            {
                case "cgroup.procs":
                    MoveProcess(hierarchy, directory, value);
                    return;
                case "cgroup.subtree_control":
                    ChangeSubtree(hierarchy, directory, value);
                    return;
                case "cgroup.kill":
                    Require(value == "1", path);
                    foreach (var group in Directory.GetDirectories(directory, "*", SearchOption.AllDirectories).Append(directory))
                    {
                        foreach (var pid in ReadPids(group))
                        {
                            Processes.Kill(pid);
                        }
                    }

                    return;
                case "freezer.state":
                    Require(value is "FROZEN" or "THAWED", path);
                    break;
                case "memory.max" or "memory.swap.max" or "pids.max":
                    Require(value == "max" || long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _), path);
                    break;
                case "cpu.max":
                    var parts = value.Split(' ');
                    Require(parts.Length == 2 && (parts[0] == "max" || long.Parse(parts[0], CultureInfo.InvariantCulture) >= 1000) && int.Parse(parts[1], CultureInfo.InvariantCulture) is >= 1000 and <= 1_000_000, path);
                    break;
                case "cpu.cfs_quota_us":
                    Require(long.Parse(value, CultureInfo.InvariantCulture) is -1 or >= 1000, path);
                    break;
                case "cpu.cfs_period_us":
                    Require(long.Parse(value, CultureInfo.InvariantCulture) is >= 1000 and <= 1_000_000, path);
                    break;
                case "memory.limit_in_bytes":
                    var memsw = Path.Combine(directory, "memory.memsw.limit_in_bytes");
                    Require(!File.Exists(memsw) || long.Parse(value, CultureInfo.InvariantCulture) <= long.Parse(File.ReadAllText(memsw), CultureInfo.InvariantCulture), path);
                    break;
                case "memory.memsw.limit_in_bytes":
                    Require(long.Parse(value, CultureInfo.InvariantCulture) >= long.Parse(File.ReadAllText(Path.Combine(directory, "memory.limit_in_bytes")), CultureInfo.InvariantCulture), path);
                    break;
                case "memory.move_charge_at_immigrate":
                    Require(!MoveChargeRefused, path);
                    break;
                default:
                    break;
            }

            File.WriteAllText(path, value);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static IOException Errno(int errno, string path) => new($"errno {errno}: {path}", errno);

    private static void Require(bool valid, string path)
    {
        if (!valid)
        {
            throw Errno(EINVAL, path);
        }
    }

    private static HashSet<string> ReadSet(string path) =>
        File.Exists(path) ? [.. File.ReadAllText(path).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)] : [];

    private static List<int> ReadPids(string directory)
    {
        var procs = Path.Combine(directory, "cgroup.procs");
        return File.Exists(procs)
            ? File.ReadAllText(procs).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList()
            : [];
    }

    private static void WritePids(string directory, IEnumerable<int> pids) =>
        File.WriteAllText(Path.Combine(directory, "cgroup.procs"), string.Concat(pids.Select(p => p.ToString(CultureInfo.InvariantCulture) + "\n")));

    private void AddV2Files(string path, string controller)
    {
        switch (controller)
        {
            case "memory":
                File.WriteAllText(Path.Combine(path, "memory.max"), "max");
                File.WriteAllText(Path.Combine(path, "memory.current"), "0");
                File.WriteAllText(Path.Combine(path, "memory.peak"), "0");
                File.WriteAllText(Path.Combine(path, "memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
                if (SwapAccounting)
                {
                    File.WriteAllText(Path.Combine(path, "memory.swap.max"), "max");
                }

                break;
            case "pids":
                File.WriteAllText(Path.Combine(path, "pids.max"), "max");
                File.WriteAllText(Path.Combine(path, "pids.current"), "0");
                break;
            case "cpu":
                File.WriteAllText(Path.Combine(path, "cpu.max"), "max 100000");
                break;
            default:
                break;
        }
    }

    private void AddV1Files(string path, string controller)
    {
        switch (controller)
        {
            case "memory":
                File.WriteAllText(Path.Combine(path, "memory.limit_in_bytes"), Unlimited);
                File.WriteAllText(Path.Combine(path, "memory.usage_in_bytes"), "0");
                File.WriteAllText(Path.Combine(path, "memory.max_usage_in_bytes"), "0");
                File.WriteAllText(Path.Combine(path, "memory.failcnt"), "0");
                File.WriteAllText(Path.Combine(path, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
                File.WriteAllText(Path.Combine(path, "memory.move_charge_at_immigrate"), "0");
                if (SwapAccounting)
                {
                    File.WriteAllText(Path.Combine(path, "memory.memsw.limit_in_bytes"), Unlimited);
                }

                break;
            case "pids":
                File.WriteAllText(Path.Combine(path, "pids.max"), "max");
                break;
            case "cpu":
                File.WriteAllText(Path.Combine(path, "cpu.cfs_period_us"), "100000");
                File.WriteAllText(Path.Combine(path, "cpu.cfs_quota_us"), "-1");
                break;
            case "freezer":
                File.WriteAllText(Path.Combine(path, "freezer.state"), "THAWED");
                break;
            default:
                break;
        }
    }

    private void MoveProcess(Hierarchy hierarchy, string directory, string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw Errno(EINVAL, directory);
        }

        if (!Processes.IsAlive(pid))
        {
            throw Errno(ESRCH, directory);
        }

        // v2's "no internal processes": a non-root group that hands controllers to children holds no processes.
        if (hierarchy.Unified && directory != hierarchy.Path && ReadSet(Path.Combine(directory, "cgroup.subtree_control")).Count > 0)
        {
            throw Errno(EBUSY, directory);
        }

        RemoveFromHierarchy(hierarchy, pid);
        WritePids(directory, ReadPids(directory).Append(pid));
    }

    private void ChangeSubtree(Hierarchy hierarchy, string directory, string value)
    {
        Require(hierarchy.Unified, directory);
        var available = ReadSet(Path.Combine(directory, "cgroup.controllers"));
        var enabled = ReadSet(Path.Combine(directory, "cgroup.subtree_control"));
        foreach (var token in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var controller = token[1..];
            if (token[0] == '+')
            {
                if (!available.Contains(controller))
                {
                    throw Errno(ENOENT, directory);
                }

                if (directory != hierarchy.Path && ReadPids(directory).Count > 0)
                {
                    throw Errno(EBUSY, directory);
                }

                enabled.Add(controller);
            }
            else
            {
                enabled.Remove(controller);
            }
        }

        File.WriteAllText(Path.Combine(directory, "cgroup.subtree_control"), string.Join(' ', enabled.Order(StringComparer.Ordinal)));
        foreach (var child in Directory.GetDirectories(directory))
        {
            File.WriteAllText(Path.Combine(child, "cgroup.controllers"), string.Join(' ', enabled.Order(StringComparer.Ordinal)));
            foreach (var controller in enabled)
            {
                if (!File.Exists(Path.Combine(child, controller + ".max")))
                {
                    AddV2Files(child, controller);
                }
            }
        }
    }

    private void RemoveFromHierarchy(Hierarchy hierarchy, int pid)
    {
        foreach (var group in Directory.GetDirectories(hierarchy.Path, "*", SearchOption.AllDirectories).Append(hierarchy.Path))
        {
            var pids = ReadPids(group);
            if (pids.Remove(pid))
            {
                WritePids(group, pids);
            }
        }
    }

    private Hierarchy? Find(string path) =>
        hierarchies.Where(h => path == h.Path || path.StartsWith(h.Path + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .MaxBy(h => h.Path.Length);

    private sealed record Hierarchy(string Path, bool Unified, string[] Controllers);
}

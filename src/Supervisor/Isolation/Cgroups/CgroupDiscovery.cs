using System.Globalization;
using System.Text;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// Finds the supervisor's own cgroups: which hierarchies it belongs to (<c>/proc/self/cgroup</c>) and where those
/// are mounted (<c>/proc/self/mountinfo</c>). Parsing is pure, so tests feed it fake file contents.
/// </summary>
internal static class CgroupDiscovery
{
    /// <summary>The real membership file.</summary>
    public const string ProcSelfCgroup = "/proc/self/cgroup";

    /// <summary>The real mount table.</summary>
    public const string ProcSelfMountInfo = "/proc/self/mountinfo";

    /// <summary>Reads and resolves the two files.</summary>
    /// <param name="fileSystem">Reads the files.</param>
    /// <param name="procSelfCgroupPath">The membership file (normally <see cref="ProcSelfCgroup"/>).</param>
    /// <param name="mountInfoPath">The mount table (normally <see cref="ProcSelfMountInfo"/>).</param>
    /// <returns>The layout; empty, with a note, when the files cannot be read (not Linux, or no <c>/proc</c>).</returns>
    public static CgroupLayout Discover(ICgroupFileSystem fileSystem, string procSelfCgroupPath, string mountInfoPath)
    {
        string cgroupText;
        string mountText;
        try
        {
            cgroupText = fileSystem.ReadAllText(procSelfCgroupPath);
            mountText = fileSystem.ReadAllText(mountInfoPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new CgroupLayout(null, new Dictionary<string, string>(), [$"cannot read {procSelfCgroupPath} and {mountInfoPath}: {ex.Message}"]);
        }

        return Resolve(ParseProcCgroup(cgroupText), ParseMountInfo(mountText));
    }

    /// <summary>
    /// Reads a fake cgroup root (<see cref="IsolationOptions.CgroupRootOverride"/>): a directory with
    /// <c>cgroup.controllers</c> is the supervisor's own cgroup v2 group; otherwise each child directory named after
    /// v1 controllers (<c>memory</c>, <c>pids</c>, <c>cpu,cpuacct</c>) is its own group in that hierarchy.
    /// </summary>
    /// <param name="fileSystem">Reads the directory.</param>
    /// <param name="root">The directory.</param>
    /// <returns>The layout.</returns>
    public static CgroupLayout FromOverride(ICgroupFileSystem fileSystem, string root)
    {
        if (!fileSystem.DirectoryExists(root))
        {
            return new CgroupLayout(null, new Dictionary<string, string>(), [$"the cgroup root override '{root}' does not exist"]);
        }

        if (fileSystem.FileExists(Path.Combine(root, "cgroup.controllers")))
        {
            return new CgroupLayout(root, new Dictionary<string, string>(), []);
        }

        var controllers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var directory in fileSystem.GetDirectories(root))
        {
            foreach (var controller in Path.GetFileName(directory).Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                controllers.TryAdd(controller, directory);
            }
        }

        return new CgroupLayout(null, controllers, controllers.Count == 0 ? [$"the cgroup root override '{root}' has neither cgroup.controllers (v2) nor controller directories (v1)"] : []);
    }

    /// <summary>Parses <c>/proc/self/cgroup</c>: lines <c>id:controllers:path</c>, e.g. <c>4:memory:/a/b</c>, <c>2:cpu,cpuacct:/</c>, <c>0::/user.slice</c>.</summary>
    /// <param name="text">The file's content.</param>
    /// <returns>One membership per well-formed line.</returns>
    public static IReadOnlyList<CgroupMembership> ParseProcCgroup(string text)
    {
        var result = new List<CgroupMembership>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');

            // The path may itself contain ':', so only the first two separate fields.
            var parts = line.Split(':', 3);
            if (parts.Length != 3
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || !parts[2].StartsWith('/'))
            {
                continue;
            }

            var controllers = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            result.Add(new CgroupMembership(id, controllers, parts[2]));
        }

        return result;
    }

    /// <summary>
    /// Parses the cgroup mounts of <c>/proc/self/mountinfo</c>:
    /// <c>id parent major:minor root mount-point options [optional…] - fstype source super-options</c>.
    /// </summary>
    /// <param name="text">The file's content.</param>
    /// <returns>The <c>cgroup</c> and <c>cgroup2</c> mounts, in file order.</returns>
    public static IReadOnlyList<CgroupMount> ParseMountInfo(string text)
    {
        var result = new List<CgroupMount>();
        foreach (var rawLine in text.Split('\n'))
        {
            var fields = rawLine.TrimEnd('\r').Split(' ', StringSplitOptions.RemoveEmptyEntries);

            // The optional fields vary in number; a lone "-" ends them.
            var separator = Array.IndexOf(fields, "-");
            if (separator < 6 || fields.Length < separator + 4)
            {
                continue;
            }

            var fileSystemType = fields[separator + 1];
            var unified = fileSystemType == "cgroup2";
            if (!unified && fileSystemType != "cgroup")
            {
                continue;
            }

            var options = unified ? [] : fields[separator + 3].Split(',', StringSplitOptions.RemoveEmptyEntries);
            result.Add(new CgroupMount(Unescape(fields[3]), Unescape(fields[4]), unified, options));
        }

        return result;
    }

    /// <summary>Maps memberships to directories through the mounts.</summary>
    /// <param name="memberships">From <see cref="ParseProcCgroup"/>.</param>
    /// <param name="mounts">From <see cref="ParseMountInfo"/>.</param>
    /// <returns>The layout.</returns>
    public static CgroupLayout Resolve(IReadOnlyList<CgroupMembership> memberships, IReadOnlyList<CgroupMount> mounts)
    {
        var notes = new List<string>();
        string? unified = null;
        var controllers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var membership in memberships)
        {
            var candidates = membership.IsUnified
                ? mounts.Where(m => m.IsUnified)
                : mounts.Where(m => !m.IsUnified && membership.Controllers.All(c => m.Options.Contains(c, StringComparer.Ordinal)));
            var mapped = candidates.Select(m => MapToDirectory(m, membership.Path)).FirstOrDefault(d => d is not null);
            var name = membership.IsUnified ? "cgroup v2" : string.Join(',', membership.Controllers);
            if (mapped is null)
            {
                notes.Add(candidates.Any()
                    ? $"{name}: the supervisor's group {membership.Path} is outside every mount of its hierarchy"
                    : $"{name}: the hierarchy is not mounted");
                continue;
            }

            if (membership.IsUnified)
            {
                unified = mapped;
                continue;
            }

            foreach (var controller in membership.Controllers)
            {
                controllers.TryAdd(controller, mapped);
            }
        }

        return new CgroupLayout(unified, controllers, notes);
    }

    /// <summary>
    /// Maps a group path to a directory beneath a mount. A mount whose root is not <c>/</c> shows only that subtree,
    /// so the path must lie within the root and only the part below it is appended to the mount point.
    /// </summary>
    /// <param name="mount">The mount.</param>
    /// <param name="groupPath">The group's path in its hierarchy.</param>
    /// <returns>The directory, or <see langword="null"/> when the group is not visible through this mount.</returns>
    internal static string? MapToDirectory(CgroupMount mount, string groupPath)
    {
        var root = mount.Root.TrimEnd('/');
        var path = groupPath.TrimEnd('/');
        string relative;
        if (root.Length == 0)
        {
            relative = path;
        }
        else if (path == root)
        {
            relative = string.Empty;
        }
        else if (path.StartsWith(root + "/", StringComparison.Ordinal))
        {
            relative = path[root.Length..];
        }
        else
        {
            return null;
        }

        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
        {
            return null;
        }

        return segments.Length == 0 ? mount.MountPoint : Path.Combine([mount.MountPoint, .. segments]);
    }

    /// <summary>Undoes mountinfo's octal escapes (<c>\040</c> for a space, <c>\134</c> for a backslash…).</summary>
    /// <param name="field">The field.</param>
    /// <returns>The text.</returns>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }
}

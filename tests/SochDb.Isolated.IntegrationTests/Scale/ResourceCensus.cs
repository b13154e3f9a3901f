using System.Globalization;

namespace SochDb.Isolated.IntegrationTests.Scale;

/// <summary>Counts what a supervisor could leak: child processes, file descriptors, worker cgroups and socket files.</summary>
internal sealed record ResourceCensus(int Children, int FileDescriptors, int WorkerGroups, int SocketFiles)
{
    public static ResourceCensus Take() => new(CountChildren(), CountFileDescriptors(), CountWorkerGroups(), CountSocketFiles());

    public override string ToString() => $"children={Children} fds={FileDescriptors} workerGroups={WorkerGroups} socketFiles={SocketFiles}";

    private static int CountChildren()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == self && fields[0] != "Z")
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not a process, or it went away.
            }
        }

        return count;
    }

    /// <summary>Counts this process's open descriptors by kind (<c>socket</c>, <c>pipe</c>, <c>anon_inode:[eventfd]</c>, or the file's path), to name what leaked.</summary>
    /// <returns>Kind → count.</returns>
    public static Dictionary<string, int> DescriptorKinds()
    {
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux())
        {
            return kinds;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string kind;
            try
            {
                var target = new FileInfo(entry).LinkTarget ?? "?";
                kind = target.StartsWith("socket:", StringComparison.Ordinal) ? "socket" : target.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe" : target;
            }
            catch (IOException)
            {
                continue;
            }

            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return kinds;
    }

    /// <summary>Describes what grew between two <see cref="DescriptorKinds"/> readings.</summary>
    /// <param name="before">The earlier reading.</param>
    /// <param name="after">The later reading.</param>
    /// <returns>One "kind: before → after" per kind that grew.</returns>
    public static string DescribeGrowth(Dictionary<string, int> before, Dictionary<string, int> after)
        => string.Join("; ", after.Where(a => a.Value > before.GetValueOrDefault(a.Key)).Select(a => $"{a.Key}: {before.GetValueOrDefault(a.Key)} -> {a.Value}"));

    private static int CountFileDescriptors()
        => OperatingSystem.IsLinux() ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : 0;

    /// <summary>Worker groups (<c>w-*</c>) beneath this process's <c>sochdb-isolated-&lt;pid&gt;[-n]</c> groups under its own cgroups.</summary>
    private static int CountWorkerGroups()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/cgroup"))
        {
            return 0;
        }

        var count = 0;
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            var mount = parts[1].Length == 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup/" + parts[1].Replace("name=", string.Empty, StringComparison.Ordinal);
            if (parts[1].Length == 0 && !Directory.Exists(mount))
            {
                mount = "/sys/fs/cgroup";
            }

            var own = Path.Join(mount, parts[2]);
            if (!Directory.Exists(own))
            {
                continue;
            }

            // Only this process's supervisors: other test runs on the machine may share the own group (the v1 pids
            // hierarchy is often at its root) and create groups of their own meanwhile.
            var pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var parent in Directory.EnumerateDirectories(own, "sochdb-isolated-*").Where(d => Path.GetFileName(d) is var name && (name == $"sochdb-isolated-{pid}" || name.StartsWith($"sochdb-isolated-{pid}-", StringComparison.Ordinal))))
            {
                count += Directory.EnumerateDirectories(parent, "w-*").Count();
            }
        }

        return count;
    }

    private static int CountSocketFiles()
        => OperatingSystem.IsWindows() ? 0 : Directory.EnumerateFileSystemEntries(Path.GetTempPath(), "CoreFxPipe_sochdb-*").Count();
}

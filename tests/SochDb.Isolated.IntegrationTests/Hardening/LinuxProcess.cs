using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SochDb.Isolated.IntegrationTests.Hardening;

/// <summary>Reads another process's state from <c>/proc</c>, and opens descriptors the way careless native code does.</summary>
[SupportedOSPlatform("linux")]
internal static partial class LinuxProcess
{
    public const int O_RDONLY = 0;

    public static bool IsRoot => Environment.IsPrivilegedProcess;

    public static Dictionary<string, string> Status(int pid, int? tid = null)
    {
        var path = tid is null ? $"/proc/{pid}/status" : $"/proc/{pid}/task/{tid}/status";
        return File.ReadAllLines(path)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
    }

    public static IEnumerable<int> Threads(int pid)
        => Directory.GetDirectories($"/proc/{pid}/task").Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture));

    public static Dictionary<string, string> EnvironmentOf(int pid)
        => File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.Ordinal);

    public static List<string> DescriptorTargets(int pid)
    {
        var targets = new List<string>();
        foreach (var entry in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                targets.Add(new FileInfo(entry).LinkTarget ?? string.Empty);
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return targets;
    }

    public static string? NetworkNamespace(int pid) => new FileInfo($"/proc/{pid}/ns/net").LinkTarget;

    public static string[] Interfaces(int pid)
        => [.. File.ReadAllLines($"/proc/{pid}/net/dev").Skip(2).Select(l => l.Split(':', 2)[0].Trim()).Where(n => n.Length > 0)];

    /// <summary>Reads one row of <c>/proc/[pid]/limits</c>: soft and hard.</summary>
    public static (string Soft, string Hard) Limit(int pid, string name)
    {
        var line = File.ReadAllLines($"/proc/{pid}/limits").Single(l => l.StartsWith(name, StringComparison.Ordinal));
        var parts = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (parts[0], parts[1]);
    }

    /// <summary>Whether a user other than the owner can reach and read the worker's files (needed for a worker user).</summary>
    public static bool ReadableByOthers(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }

        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).All(f => (File.GetUnixFileMode(f) & UnixFileMode.OtherRead) != 0);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}

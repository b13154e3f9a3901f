using System.Globalization;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// The names of the supervisors' parent groups, <c>sochdb-isolated-&lt;pid&gt;</c>, and which of them this process
/// is using. The pid names the owner, so that a later supervisor can tell a group whose owner died (and remove it)
/// from one whose owner is alive.
/// </summary>
/// <remarks>
/// A second isolation in the same process (tests, or a supervisor re-created in one host) gets
/// <c>sochdb-isolated-&lt;pid&gt;-&lt;n&gt;</c>. Thread-safe.
/// </remarks>
internal static class SupervisorGroupNames
{
    /// <summary>The prefix of every parent group.</summary>
    public const string Prefix = "sochdb-isolated-";

    /// <summary>The prefix of every worker group beneath a parent.</summary>
    public const string WorkerPrefix = "w-";

    /// <summary>Guards <see cref="Live"/>.</summary>
    private static readonly Lock Gate = new();
    /// <summary>The parent directories isolations of this process are using.</summary>
    private static readonly HashSet<string> Live = new(StringComparer.Ordinal);

    /// <summary>Picks a parent name free in every directory and marks its paths as in use by this process.</summary>
    /// <param name="fileSystem">Tells which names exist already.</param>
    /// <param name="pid">The supervisor's pid.</param>
    /// <param name="ownDirectories">The supervisor's own groups the parent is created beneath.</param>
    /// <returns>The name.</returns>
    public static string Reserve(ICgroupFileSystem fileSystem, int pid, IReadOnlyList<string> ownDirectories)
    {
        lock (Gate)
        {
            for (var n = 0; ; n++)
            {
                var name = n == 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{Prefix}{pid}")
                    : string.Create(CultureInfo.InvariantCulture, $"{Prefix}{pid}-{n}");
                var paths = ownDirectories.Select(d => Path.Combine(d, name)).ToList();
                if (paths.All(p => !Live.Contains(p) && !fileSystem.DirectoryExists(p)))
                {
                    Live.UnionWith(paths);
                    return name;
                }
            }
        }
    }

    /// <summary>Marks parent paths as no longer in use.</summary>
    /// <param name="parentDirectories">The paths.</param>
    public static void Release(IEnumerable<string> parentDirectories)
    {
        lock (Gate)
        {
            Live.ExceptWith(parentDirectories);
        }
    }

    /// <summary>Gets a value indicating whether an isolation of this process is using the parent at this path.</summary>
    /// <param name="parentDirectory">The path.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public static bool IsLive(string parentDirectory)
    {
        lock (Gate)
        {
            return Live.Contains(parentDirectory);
        }
    }

    /// <summary>Reads the owner's pid from a parent's name.</summary>
    /// <param name="name">A directory name.</param>
    /// <param name="pid">The owner's pid.</param>
    /// <returns><see langword="true"/> when the name is a parent's: <c>sochdb-isolated-&lt;pid&gt;</c> or <c>…-&lt;n&gt;</c>.</returns>
    public static bool TryParseOwner(string name, out int pid)
    {
        pid = 0;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = name[Prefix.Length..].Split('-');
        return parts.Length <= 2
            && parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit))
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            && pid > 0;
    }

    /// <summary>Checks that a worker's name can be a directory name.</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="ArgumentException">It cannot.</exception>
    public static void ValidateWorkerName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 200 || name is "." or ".." || name.Any(c => c is '/' or '\\' or '\0' || char.IsControl(c)))
        {
            throw new ArgumentException($"'{name}' is not a file-name-safe worker name.", nameof(name));
        }
    }
}

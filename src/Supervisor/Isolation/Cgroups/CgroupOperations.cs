using System.Globalization;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>The cgroup steps v1 and v2 share: reading interface files, killing a group's processes, waiting for it to empty, removing it.</summary>
internal static class CgroupOperations
{
    /// <summary>How often a wait for an emptying group polls.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a group may take to empty after its kill before it is left in place (and logged).</summary>
    public static readonly TimeSpan EmptyTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a kill waits for a v1 freezer to report <c>FROZEN</c> before it signals anyway.</summary>
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>At most this many signalling passes per kill; forks beyond are caught by the pids limit and the wait loop.</summary>
    private const int MaxSignalPasses = 16;

    /// <summary>Reads one integer interface file (<c>memory.current</c>, <c>memory.usage_in_bytes</c>).</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="path">The file.</param>
    /// <returns>The value, or <see langword="null"/> when the file is missing, unreadable, or says <c>max</c>.</returns>
    public static long? ReadLong(ICgroupFileSystem fileSystem, string path)
    {
        var text = TryRead(fileSystem, path);
        return text is not null && long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary>Reads one key of a flat keyed file (<c>memory.events</c>, <c>memory.oom_control</c>, <c>cgroup.events</c>): lines <c>key value</c>.</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="path">The file.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when the file or the key is missing.</returns>
    public static long? ReadKeyed(ICgroupFileSystem fileSystem, string path, string key)
    {
        var text = TryRead(fileSystem, path);
        return text is null ? null : ParseKeyed(text, key);
    }

    /// <summary>Finds one key in the text of a flat keyed file.</summary>
    /// <param name="text">The text.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or not a number.</returns>
    public static long? ParseKeyed(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Reads the process ids a group holds directly (<c>cgroup.procs</c>).</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="directory">The group.</param>
    /// <returns>The ids; empty when the group is gone.</returns>
    public static IReadOnlyList<int> ReadPids(ICgroupFileSystem fileSystem, string directory)
    {
        var text = TryRead(fileSystem, Path.Combine(directory, "cgroup.procs"));
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var pids = new List<int>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
            {
                pids.Add(pid);
            }
        }

        return pids;
    }

    /// <summary>Reads the processes that are still alive in any of the groups.</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="processes">Tells live from gone (a fake cgroupfs keeps listing the dead).</param>
    /// <param name="directories">The groups.</param>
    /// <returns>The distinct live ids.</returns>
    public static IReadOnlyList<int> LivePids(ICgroupFileSystem fileSystem, IProcessControl processes, IEnumerable<string> directories)
        => directories.SelectMany(d => ReadPids(fileSystem, d)).Distinct().Where(processes.IsAlive).ToList();

    /// <summary>
    /// Kills every process in the groups: <c>cgroup.kill</c> where the kernel has it (v2, 5.14+), which is atomic and
    /// race-free; otherwise freeze the group (v1 freezer) so nothing can fork, SIGKILL every listed process, thaw so
    /// the kills are delivered; otherwise SIGKILL every listed process, pass after pass, until no new one appears.
    /// Never throws: a control that cannot be written falls back to the next way.
    /// </summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="processes">Sends SIGKILL.</param>
    /// <param name="directories">The groups (a v2 group, or one worker's groups in each v1 hierarchy).</param>
    /// <returns>The controls that failed, as "path: reason"; empty when every step worked.</returns>
    public static IReadOnlyList<string> Kill(ICgroupFileSystem fileSystem, IProcessControl processes, IReadOnlyList<string> directories)
    {
        var failures = new List<string>();
        var remaining = new List<string>();
        foreach (var directory in directories)
        {
            var kill = Path.Combine(directory, "cgroup.kill");
            if (!fileSystem.FileExists(kill) || !TryWrite(fileSystem, kill, "1", failures))
            {
                remaining.Add(directory);
            }
        }

        if (remaining.Count == 0)
        {
            return failures;
        }

        var frozen = remaining
            .Where(d => fileSystem.FileExists(Path.Combine(d, "freezer.state")) && Freeze(fileSystem, d, failures))
            .ToList();
        SignalUntilNoneNew(fileSystem, processes, remaining);

        // A frozen task acts on its SIGKILL only once thawed.
        foreach (var directory in frozen)
        {
            TryWrite(fileSystem, Path.Combine(directory, "freezer.state"), "THAWED", failures);
        }

        return failures;
    }

    /// <summary>Waits until none of the groups holds a live process, signalling stragglers on every poll.</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="processes">Sends SIGKILL and tells live from gone.</param>
    /// <param name="directories">The groups.</param>
    /// <param name="timeout">The budget.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The processes still there when the budget ran out; empty on success.</returns>
    public static async Task<IReadOnlyList<int>> WaitEmptyAsync(ICgroupFileSystem fileSystem, IProcessControl processes, IReadOnlyList<string> directories, TimeSpan timeout, TimeProvider timeProvider)
    {
        var started = timeProvider.GetTimestamp();
        while (true)
        {
            var live = SignalLive(fileSystem, processes, directories);
            if (live.Count == 0 || timeProvider.GetElapsedTime(started) >= timeout)
            {
                return live;
            }

            await Task.Delay(PollInterval, timeProvider).ConfigureAwait(false);
        }
    }

    /// <summary>The blocking form of <see cref="WaitEmptyAsync"/>, for the synchronous clean-up while an isolation is created.</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="processes">Sends SIGKILL and tells live from gone.</param>
    /// <param name="directories">The groups.</param>
    /// <param name="timeout">The budget.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The processes still there when the budget ran out; empty on success.</returns>
    public static IReadOnlyList<int> WaitEmpty(ICgroupFileSystem fileSystem, IProcessControl processes, IReadOnlyList<string> directories, TimeSpan timeout, TimeProvider timeProvider)
    {
        var started = timeProvider.GetTimestamp();
        while (true)
        {
            var live = SignalLive(fileSystem, processes, directories);
            if (live.Count == 0 || timeProvider.GetElapsedTime(started) >= timeout)
            {
                return live;
            }

            Thread.Sleep(PollInterval);
        }
    }

    /// <summary>Ends a worker's groups: kill, wait (bounded) until empty, remove. Never throws; what fails is logged.</summary>
    /// <param name="platform">The host.</param>
    /// <param name="directories">The worker's groups.</param>
    /// <param name="name">The group's name for logs.</param>
    /// <param name="logger">The logger.</param>
    /// <returns><see langword="true"/> when every directory is gone.</returns>
    public static async Task<bool> KillAndRemoveAsync(IsolationPlatform platform, IReadOnlyList<string> directories, string name, ILogger logger)
    {
        var failures = Kill(platform.FileSystem, platform.Processes, directories);
        if (failures.Count > 0)
        {
            IsolationLog.KillFailed(logger, name, string.Join("; ", failures));
        }

        var started = platform.TimeProvider.GetTimestamp();
        var survivors = await WaitEmptyAsync(platform.FileSystem, platform.Processes, directories, EmptyTimeout, platform.TimeProvider).ConfigureAwait(false);
        if (survivors.Count > 0)
        {
            IsolationLog.GroupNotEmpty(logger, name, string.Join(", ", survivors), platform.TimeProvider.GetElapsedTime(started).TotalMilliseconds);
        }

        var removal = RemoveTrees(platform.FileSystem, directories);
        if (removal.Count > 0)
        {
            IsolationLog.GroupRemoveFailed(logger, name, string.Join("; ", removal));
            return false;
        }

        IsolationLog.GroupRemoved(logger, name);
        return true;
    }

    /// <summary>Removes the groups and everything beneath them, deepest first.</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="directories">The groups.</param>
    /// <returns>The failures, as "path: reason"; empty on success. A group already gone is not a failure.</returns>
    public static IReadOnlyList<string> RemoveTrees(ICgroupFileSystem fileSystem, IEnumerable<string> directories)
    {
        var failures = new List<string>();
        foreach (var directory in directories)
        {
            RemoveTree(fileSystem, directory, failures);
        }

        return failures;
    }

    /// <summary>Lists a group and all its descendants, deepest first.</summary>
    /// <param name="fileSystem">The file system.</param>
    /// <param name="directory">The group.</param>
    /// <returns>The groups.</returns>
    public static IReadOnlyList<string> DescendantsAndSelf(ICgroupFileSystem fileSystem, string directory)
    {
        var result = new List<string>();
        Collect(directory);
        return result;

        void Collect(string current)
        {
            foreach (var child in fileSystem.GetDirectories(current))
            {
                Collect(child);
            }

            result.Add(current);
        }
    }

    /// <summary>Removes one group after its descendants, collecting failures.</summary>
    private static void RemoveTree(ICgroupFileSystem fileSystem, string directory, List<string> failures)
    {
        foreach (var child in fileSystem.GetDirectories(directory))
        {
            RemoveTree(fileSystem, child, failures);
        }

        try
        {
            fileSystem.RemoveDirectory(directory);
        }
        catch (DirectoryNotFoundException)
        {
            // Removed by someone else: the goal is reached.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (fileSystem.DirectoryExists(directory))
            {
                failures.Add($"{directory}: {ex.Message}");
            }
        }
    }

    /// <summary>SIGKILLs every live process the groups list; one poll of a wait.</summary>
    private static IReadOnlyList<int> SignalLive(ICgroupFileSystem fileSystem, IProcessControl processes, IReadOnlyList<string> directories)
    {
        var live = LivePids(fileSystem, processes, directories);
        foreach (var pid in live)
        {
            processes.Kill(pid);
        }

        return live;
    }

    /// <summary>SIGKILLs listed processes pass after pass until a pass finds no process not yet signalled.</summary>
    private static void SignalUntilNoneNew(ICgroupFileSystem fileSystem, IProcessControl processes, IReadOnlyList<string> directories)
    {
        // A killed process stays listed until it has exited, so a pass that finds only already-signalled ids is done;
        // a new id means something forked between the read and the kill.
        var signalled = new HashSet<int>();
        for (var pass = 0; pass < MaxSignalPasses; pass++)
        {
            var fresh = directories.SelectMany(d => ReadPids(fileSystem, d)).Where(signalled.Add).ToList();
            if (fresh.Count == 0)
            {
                break;
            }

            foreach (var pid in fresh)
            {
                processes.Kill(pid);
            }
        }

    }

    /// <summary>Freezes a v1 freezer group and waits (briefly) for it to report <c>FROZEN</c>; <see langword="false"/> when it cannot be frozen.</summary>
    private static bool Freeze(ICgroupFileSystem fileSystem, string directory, List<string> failures)
    {
        var state = Path.Combine(directory, "freezer.state");
        if (!TryWrite(fileSystem, state, "FROZEN", failures))
        {
            return false;
        }

        // FREEZING turns into FROZEN once every task has stopped; a task stuck in the kernel may delay that, and the
        // kill then proceeds regardless (the SIGKILL is queued and acted on at the thaw).
        var started = TimeProvider.System.GetTimestamp();
        while (TryRead(fileSystem, state)?.Trim() == "FREEZING" && TimeProvider.System.GetElapsedTime(started) < FreezeTimeout)
        {
            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>Writes a control, recording a failure instead of throwing.</summary>
    private static bool TryWrite(ICgroupFileSystem fileSystem, string path, string value, List<string> failures)
    {
        try
        {
            fileSystem.WriteAllText(path, value);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            failures.Add($"{path}: {ex.Message}");
            return false;
        }
    }

    /// <summary>Reads a file, or <see langword="null"/> when it is missing or unreadable.</summary>
    private static string? TryRead(ICgroupFileSystem fileSystem, string path)
    {
        try
        {
            return fileSystem.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

using System.Globalization;
using System.Runtime.Versioning;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Worker.Hardening;

/// <summary>
/// Reads the worker's actual hardening state from the OS for the handshake. Never throws: whatever cannot be read
/// is left <see langword="null"/> and named in <see cref="WorkerHardeningReport.Problems"/>.
/// </summary>
internal static class HardeningReporter
{
    /// <summary>The lines of <c>/proc/[pid]/task/[tid]/status</c> every thread must share with the main thread.</summary>
    private static readonly string[] PerThreadFields = ["Uid", "Gid", "Groups", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs"];

    /// <summary>Reads the current state.</summary>
    /// <returns>The report.</returns>
    public static WorkerHardeningReport Read()
    {
        if (OperatingSystem.IsLinux())
        {
            return ReadLinux("/proc/self");
        }

        return new WorkerHardeningReport { Platform = OperatingSystem.IsWindows() ? "windows" : "other" };
    }

    /// <summary>Parses the <c>Key:\tvalue</c> lines of a <c>/proc</c> status file.</summary>
    /// <param name="text">The file's text.</param>
    /// <returns>The values by key, trimmed.</returns>
    internal static Dictionary<string, string> ParseStatus(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        return fields;
    }

    /// <summary>Parses the interface names out of <c>/proc/net/dev</c>: two header lines, then <c>name: counters</c>.</summary>
    /// <param name="text">The file's text.</param>
    /// <returns>The interface names, in file order.</returns>
    internal static string[] ParseInterfaces(string text)
        => [.. text.Split('\n').Skip(2).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Length > 0).Select(p => p[0].Trim())];

    /// <summary>Fills the credential fields of a report from a parsed status file.</summary>
    /// <param name="status">The parsed <c>/proc/self/status</c>.</param>
    /// <param name="report">The report to fill.</param>
    /// <param name="problems">Where to name what is missing.</param>
    internal static void FillFromStatus(Dictionary<string, string> status, WorkerHardeningReport report, List<string> problems)
    {
        var uids = Ids(status, "Uid", problems);
        var gids = Ids(status, "Gid", problems);
        report.UserId = uids?[1];
        report.GroupId = gids?[1];
        report.SupplementaryGroups = status.TryGetValue("Groups", out var groups) ? ParseIds(groups) : null;
        report.NoNewPrivileges = status.TryGetValue("NoNewPrivs", out var nnp) ? nnp == "1" : null;
        report.EffectiveCapabilities = Capabilities(status, "CapEff", problems);
        report.PermittedCapabilities = Capabilities(status, "CapPrm", problems);
        report.BoundingCapabilities = Capabilities(status, "CapBnd", problems);
        report.CredentialsConsistent = uids is not null && gids is not null && uids.All(u => u == uids[0]) && gids.All(g => g == gids[0]);
        if (report.NoNewPrivileges is null)
        {
            problems.Add("NoNewPrivs is missing from the status file");
        }
    }

    [SupportedOSPlatform("linux")]
    private static WorkerHardeningReport ReadLinux(string self)
    {
        var problems = new List<string>();
        var report = new WorkerHardeningReport { Platform = "linux" };
        var statusText = TryRead(Path.Combine(self, "status"), problems);
        if (statusText is not null)
        {
            var status = ParseStatus(statusText);
            FillFromStatus(status, report, problems);
            if (report.CredentialsConsistent == true && !ThreadsAgree(self, status, problems))
            {
                report.CredentialsConsistent = false;
            }
        }

        (report.OpenFilesSoftLimit, report.OpenFilesHardLimit) = Limit(Interop.Libc.RLIMIT_NOFILE, "RLIMIT_NOFILE", problems);
        (report.CoreSoftLimit, report.CoreHardLimit) = Limit(Interop.Libc.RLIMIT_CORE, "RLIMIT_CORE", problems);
        var dumpable = Interop.Libc.prctl(Interop.Libc.PR_GET_DUMPABLE, 0, 0, 0, 0);
        report.Dumpable = dumpable >= 0 ? dumpable != 0 : null;
        try
        {
            report.NetworkNamespace = new FileInfo(Path.Combine(self, "ns", "net")).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"ns/net: {ex.Message}");
        }

        // /proc/self/net follows the reader's network namespace; /sys/class/net would show the namespace of
        // whoever mounted sysfs instead.
        var dev = TryRead(Path.Combine(self, "net", "dev"), problems);
        report.NetworkInterfaces = dev is null ? null : ParseInterfaces(dev);
        report.Problems = [.. problems];
        return report;
    }

    [SupportedOSPlatform("linux")]
    private static bool ThreadsAgree(string self, Dictionary<string, string> main, List<string> problems)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories(Path.Combine(self, "task"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"task: {ex.Message}");
            return false;
        }

        foreach (var task in tasks)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "status"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended while we looked: nothing left to disagree.
                continue;
            }

            var status = ParseStatus(text);
            foreach (var field in PerThreadFields)
            {
                main.TryGetValue(field, out var expected);
                status.TryGetValue(field, out var actual);
                if (!string.Equals(expected, actual, StringComparison.Ordinal))
                {
                    problems.Add($"thread {Path.GetFileName(task)} has {field} '{actual}', the main thread '{expected}'");
                    return false;
                }
            }
        }

        return true;
    }

    [SupportedOSPlatform("linux")]
    private static (long? Soft, long? Hard) Limit(int resource, string name, List<string> problems)
    {
        if (Interop.Libc.getrlimit(resource, out var limit) != 0)
        {
            problems.Add($"getrlimit({name}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            return (null, null);
        }

        return (ToLong(limit.Current), ToLong(limit.Maximum));

        static long ToLong(nuint value) => value == Interop.Libc.RLIM_INFINITY ? WorkerHardeningReport.Unlimited : (long)value;
    }

    private static uint[]? Ids(Dictionary<string, string> status, string key, List<string> problems)
    {
        if (!status.TryGetValue(key, out var text))
        {
            problems.Add($"{key} is missing from the status file");
            return null;
        }

        // Real, effective, saved set, file system.
        var ids = ParseIds(text);
        if (ids is not { Length: 4 })
        {
            problems.Add($"{key} line '{text}' is not four ids");
            return null;
        }

        return ids;
    }

    private static uint[]? ParseIds(string text)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var ids = new uint[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
            {
                return null;
            }
        }

        return ids;
    }

    private static ulong? Capabilities(Dictionary<string, string> status, string key, List<string> problems)
    {
        if (status.TryGetValue(key, out var hex) && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        problems.Add($"{key} is missing from the status file or not hexadecimal");
        return null;
    }

    private static string? TryRead(string path, List<string> problems)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{path}: {ex.Message}");
            return null;
        }
    }
}

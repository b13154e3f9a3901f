using System.Diagnostics;

namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// What this host allows for worker hardening, found once per supervisor process by trial runs of the launch
/// chain's tools with <c>true</c> as the program. Credentials and the tools do not change while the process runs,
/// so the answer is cached for the process.
/// </summary>
/// <param name="IsLinux">Whether the host is Linux.</param>
/// <param name="IsRoot">Whether the supervisor's effective user is root.</param>
/// <param name="UnsharePath">The util-linux <c>unshare</c>, when found.</param>
/// <param name="SetprivPath">The util-linux <c>setpriv</c>, when found.</param>
/// <param name="NoNewPrivileges">Whether <c>setpriv --no-new-privs</c> works.</param>
/// <param name="DropCapabilities">Whether <c>setpriv --bounding-set -all</c> works as the supervisor is (needs CAP_SETPCAP).</param>
/// <param name="Network">How a network namespace can be had.</param>
/// <param name="UserNamespaceDropCapabilities">Whether <c>setpriv --bounding-set -all</c> works inside the user namespace of <see cref="NetworkNamespaceSupport.UserNamespace"/>.</param>
/// <param name="Notes">What each trial found, for a debug log.</param>
internal sealed record HardeningProbe(
    bool IsLinux,
    bool IsRoot,
    string? UnsharePath,
    string? SetprivPath,
    bool NoNewPrivileges,
    bool DropCapabilities,
    NetworkNamespaceSupport Network,
    bool UserNamespaceDropCapabilities,
    IReadOnlyList<string> Notes)
{
    /// <summary>The folders searched for the tools. Fixed rather than PATH, so the chain never depends on the caller's PATH.</summary>
    internal static readonly string[] ToolFolders = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

    private static readonly TimeSpan TrialBudget = TimeSpan.FromSeconds(5);

    /// <summary>Probes this host. Spawns at most five short-lived processes; each is killed if it outlives its budget.</summary>
    /// <returns>The probe's findings.</returns>
    public static HardeningProbe Run()
    {
        var isRoot = Environment.IsPrivilegedProcess;
        if (!OperatingSystem.IsLinux())
        {
            return new HardeningProbe(false, isRoot, null, null, false, false, NetworkNamespaceSupport.None, false, ["not Linux: no launch-chain hardening"]);
        }

        var notes = new List<string>();
        var unshare = FindTool("unshare");
        var setpriv = FindTool("setpriv");
        var truePath = FindTool("true");
        if (truePath is null)
        {
            notes.Add("no 'true' in " + string.Join(", ", ToolFolders) + ": nothing can be tried");
            return new HardeningProbe(true, isRoot, unshare, setpriv, false, false, NetworkNamespaceSupport.None, false, notes);
        }

        var noNewPrivileges = setpriv is not null && Try(notes, setpriv, "--no-new-privs", "--", truePath);
        var dropCapabilities = setpriv is not null && isRoot && Try(notes, setpriv, "--bounding-set", "-all", "--inh-caps", "-all", "--", truePath);
        var network = NetworkNamespaceSupport.None;
        var userNamespaceDrop = false;
        if (unshare is not null)
        {
            if (isRoot && Try(notes, unshare, "--net", "--", truePath))
            {
                network = NetworkNamespaceSupport.Privileged;
            }
            else if (Try(notes, unshare, "--user", "--map-root-user", "--net", "--", truePath))
            {
                network = NetworkNamespaceSupport.UserNamespace;
                userNamespaceDrop = setpriv is not null
                    && Try(notes, unshare, "--user", "--map-root-user", "--net", "--", setpriv, "--bounding-set", "-all", "--inh-caps", "-all", "--", truePath);
            }
        }
        else
        {
            notes.Add("no 'unshare' in " + string.Join(", ", ToolFolders));
        }

        if (setpriv is null)
        {
            notes.Add("no 'setpriv' in " + string.Join(", ", ToolFolders));
        }

        return new HardeningProbe(true, isRoot, unshare, setpriv, noNewPrivileges, dropCapabilities, network, userNamespaceDrop, notes);
    }

    /// <summary>Finds a tool in <see cref="ToolFolders"/>.</summary>
    /// <param name="name">The tool's file name.</param>
    /// <returns>Its full path, or <see langword="null"/>.</returns>
    internal static string? FindTool(string name)
        => ToolFolders.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    private static bool Try(List<string> notes, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        var command = Path.GetFileName(program) + " " + string.Join(' ', arguments.Select(a => a.StartsWith('/') ? Path.GetFileName(a) : a));
        try
        {
            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            // The tools write a line at most; a child that blocked on a full pipe would be killed by the budget.
            if (!process.WaitForExit(TrialBudget))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TrialBudget);
                notes.Add($"'{command}' did not finish within {TrialBudget.TotalSeconds:F0} s");
                return false;
            }

            var ok = process.ExitCode == 0;
            notes.Add(ok ? $"'{command}' works" : $"'{command}' failed ({process.ExitCode}): {Trim(process.StandardError.ReadToEnd())}");
            return ok;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            notes.Add($"'{command}' could not be run: {ex.Message}");
            return false;
        }
    }

    private static string Trim(string error)
    {
        var text = error.Trim();
        return text.Length > 200 ? text[..200] : text;
    }
}

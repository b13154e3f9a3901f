using System.Diagnostics;
using System.Text.RegularExpressions;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.FaultInjection;

/// <summary>
/// Supervisors whose workers are the rogue test worker with one fault mode. A "healthy" plugin is loaded first while the
/// fault is not armed (the rogue then runs the real worker code); arming it makes every later worker faulty.
/// </summary>
public abstract class FaultInjectionTestBase : SupervisorTestBase, IDisposable
{
    /// <summary>Lets the rogue's one host call per invoke through, so it is audited as allowed.</summary>
    internal const string Grants = "[capabilities]\ncan_read_table = [\"items\"]";

    /// <summary>How long a killed worker may take to be gone and reaped.</summary>
    internal static readonly TimeSpan ReapBudget = TimeSpan.FromSeconds(10);

    internal static readonly byte[] Basic = Fixtures.Wasm("basic");

    internal static readonly string RoguePath = Path.Combine(AppContext.BaseDirectory, "SochDb.Isolated.RogueWorker.dll");

    private readonly string armFile = Path.Combine(Path.GetTempPath(), $"sochdb-rogue-arm-{Guid.NewGuid():N}");

    public void Dispose()
    {
        File.Delete(armFile);
        GC.SuppressFinalize(this);
    }

    /// <summary>Creates a supervisor of rogue workers in <paramref name="mode"/>, loads "healthy", then arms the fault.</summary>
    internal async Task<PluginSupervisor> CreateArmedAsync(string mode, Action<PluginSupervisorOptions>? configure = null)
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.WorkerPath = RoguePath;
            o.WorkerEnvironment["SOCHDB_ROGUE_MODE"] = mode;
            o.WorkerEnvironment["SOCHDB_ROGUE_ARM_FILE"] = armFile;
            configure?.Invoke(o);
        });
        await supervisor.LoadAsync("healthy", Basic, Manifest(Grants, name: "healthy")).DefaultTimeout();
        await File.WriteAllTextAsync(armFile, mode);
        return supervisor;
    }

    /// <summary>Loads the victim plugin onto an armed (faulty) worker.</summary>
    internal static Task<PluginInfo> LoadVictimAsync(PluginSupervisor supervisor)
        => supervisor.LoadAsync("victim", Basic, Manifest(Grants, name: "victim")).DefaultTimeout();

    /// <summary>Calls the victim and, while that call is out, proves the healthy plugin still answers; then again after.</summary>
    internal static async Task<PluginException> FailVictimCallAsync(PluginSupervisor supervisor)
    {
        var call = supervisor.InvokeAsync("victim", "add", [PluginValue.I32(1), PluginValue.I32(1)]);
        await AssertHealthyAsync(supervisor);
        var ex = await Assert.ThrowsAnyAsync<PluginException>(() => call).DefaultTimeout();
        await AssertHealthyAsync(supervisor);
        return ex;
    }

    /// <summary>Asserts that the plugin beside the victim answers correctly, a few times.</summary>
    internal static async Task AssertHealthyAsync(PluginSupervisor supervisor)
    {
        for (var i = 0; i < 3; i++)
        {
            var result = await supervisor.InvokeAsync("healthy", "add", [PluginValue.I32(i), PluginValue.I32(40)]).DefaultTimeout();
            Assert.Equal(i + 40, result.Values[0].AsI32());
        }
    }

    /// <summary>Asserts that the victim's one host call made it into the audit trail despite the fault.</summary>
    internal static void AssertVictimCallAudited(PluginSupervisor supervisor)
        => Assert.Contains(supervisor.QueryAudit("victim"), r => r.Function == "read" && r.Target == "items");

    /// <summary>Waits (bounded) until a process is gone and reaped.</summary>
    internal static async Task AssertGoneAsync(int pid)
    {
        var watch = Stopwatch.StartNew();
        while (IsRunning(pid))
        {
            Assert.True(watch.Elapsed < ReapBudget, $"process {pid} is still there after {watch.Elapsed}");
            await Task.Delay(20);
        }
    }

    /// <summary>Whether a process exists; on Linux a zombie counts, so "gone" means killed and reaped.</summary>
    internal static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return Directory.Exists($"/proc/{pid}");
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The pid a rogue worker in <paramref name="mode"/> announced on standard error (re-logged by the supervisor).</summary>
    internal int AnnouncedPid(string mode)
    {
        var pattern = new Regex(@"rogue: pid=(\d+) mode=" + Regex.Escape(mode) + "$");
        var pids = Logs.Entries.Select(e => pattern.Match(e.Message)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        Assert.NotEmpty(pids);
        return pids[0];
    }

    /// <summary>This process's managed heap after a full collection, and its private memory.</summary>
    internal static (long Managed, long Private) MemoryNow()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        return (managed, self.PrivateMemorySize64);
    }

    /// <summary>Asserts the supervisor's process did not grow by anything like a hostile frame or flood (generous bounds).</summary>
    internal static void AssertMemoryBounded((long Managed, long Private) before)
    {
        var after = MemoryNow();
        Assert.True(after.Managed - before.Managed < 256L << 20, $"managed heap grew by {(after.Managed - before.Managed) >> 20} MiB");
        Assert.True(after.Private - before.Private < 512L << 20, $"private memory grew by {(after.Private - before.Private) >> 20} MiB");
    }
}

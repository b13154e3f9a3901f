using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.FaultInjection;

/// <summary>
/// A worker that allocates native memory until something stops it: outside Wasmtime's reach, so only the OS limit
/// (a cgroup here) or the watchdog can. The call must fail as <see cref="ErrorKind.MemoryLimitExceeded"/>, not as a
/// vague crash, and everything else must go on.
/// </summary>
public sealed class OutOfMemoryTests : FaultInjectionTestBase
{
    private const string Mode = "native-alloc";

    [SkippableFact]
    public async Task NativeAllocation_PastCgroupLimit_IsOomKilledAndReportedAsMemoryLimitExceeded()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "cgroups are created here only by root on Linux");
        var supervisor = await CreateArmedAsync(Mode, Configure(IsolationMode.Auto));
        var mode = supervisor.GetRuntimeStats().IsolationMode;
        Skip.IfNot(mode is IsolationMode.CgroupV1 or IsolationMode.CgroupV2, $"no writable cgroup hierarchy (isolation is {mode})");

        await AssertOomAsync(supervisor);
    }

    [SkippableFact]
    public async Task NativeAllocation_PastWatchdogLimit_IsKilledAndReportedAsMemoryLimitExceeded()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the rogue's allocation mode and the resident-memory probe are Linux-only here");
        var supervisor = await CreateArmedAsync(Mode, Configure(IsolationMode.Watchdog));
        Assert.Equal(IsolationMode.Watchdog, supervisor.GetRuntimeStats().IsolationMode);

        await AssertOomAsync(supervisor);
    }

    [SkippableFact]
    public async Task NativeAllocation_InAdoptedWarmWorker_IsOomKilledAtThePluginsLimit()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "cgroups are created here only by root on Linux");

        // Every worker is the rogue, armed from the start: the idle one the victim adopts allocates when called.
        var supervisor = CreateSupervisor(o =>
        {
            Configure(IsolationMode.Auto)(o);
            o.WorkerPath = RoguePath;
            o.WorkerEnvironment["SOCHDB_ROGUE_MODE"] = Mode;
            o.WarmPoolSize = 1;
        });
        var mode = supervisor.GetRuntimeStats().IsolationMode;
        Skip.IfNot(mode is IsolationMode.CgroupV1 or IsolationMode.CgroupV2, $"no writable cgroup hierarchy (isolation is {mode})");
        var idle = await Pool.WarmPoolTests.WaitForIdleAsync(supervisor, 1);

        var victim = await LoadVictimAsync(supervisor);
        Assert.Equal(idle[0], victim.WorkerPid);
        var ex = await Assert.ThrowsAnyAsync<PluginException>(() => supervisor.InvokeAsync("victim", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();

        // Killed at the plugin's limit (4 instances of 2 MiB + the allowance), not at the idle default (16 MiB + the allowance).
        var oom = Assert.IsType<MemoryLimitExceededException>(ex);
        Assert.Equal((8L << 20) + (160L << 20), oom.LimitBytes);
        Assert.InRange(oom.UsedBytes, 0, oom.LimitBytes);
        Assert.Equal(1, supervisor.GetRuntimeStats().WarmPoolAdoptions);
        await AssertGoneAsync(idle[0]);

        // The rogue made its one host call before allocating: bound at adoption, so it was answered and audited.
        AssertVictimCallAudited(supervisor);
    }

    private static Action<PluginSupervisorOptions> Configure(IsolationMode mode) => o =>
    {
        o.Isolation.Mode = mode;
        o.Isolation.RuntimeMemoryAllowanceBytes = 160L << 20;
        o.Isolation.WatchdogInterval = TimeSpan.FromMilliseconds(20);

        // The kill must come from the memory limit, long before the supervisor's deadline would.
        o.CallGrace = TimeSpan.FromSeconds(60);
        o.RestartPolicy.InitialBackoff = TimeSpan.Zero;
        o.WorkerEnvironment["SOCHDB_ROGUE_ALLOC_LIMIT_MB"] = "2048";
    };

    private async Task AssertOomAsync(PluginSupervisor supervisor)
    {
        var victim = await LoadVictimAsync(supervisor);
        var ex = await FailVictimCallAsync(supervisor);

        var oom = Assert.IsType<MemoryLimitExceededException>(ex);
        Assert.Equal(ErrorKind.MemoryLimitExceeded, oom.Kind);

        // The worker may hold max_instances (default 4) stores of 2 MiB, plus the runtime allowance.
        Assert.Equal((8L << 20) + (160L << 20), oom.LimitBytes);
        Assert.Contains("OS memory limit", oom.Message, StringComparison.Ordinal);
        await AssertGoneAsync(victim.WorkerPid!.Value);
        AssertVictimCallAudited(supervisor);

        var info = await WaitForAsync(supervisor, "victim", p => p.LastExitReason == WorkerExitReason.OutOfMemory);
        Assert.Equal(WorkerExitReason.OutOfMemory, info.LastExitReason);
        Assert.True(supervisor.GetPluginStats("victim").MemoryViolations >= 1);
        Assert.True(supervisor.GetRuntimeStats().MemoryViolations >= 1);
        await AssertHealthyAsync(supervisor);
    }

    private static async Task<PluginInfo> WaitForAsync(PluginSupervisor supervisor, string id, Func<PluginInfo, bool> condition)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Unexpected;
        while (true)
        {
            var info = supervisor.ListPlugins().Single(p => p.Id == id);
            if (condition(info))
            {
                return info;
            }

            Assert.True(DateTime.UtcNow < deadline, $"plugin {id} did not reach the expected state; last: {info}");
            await Task.Delay(20);
        }
    }
}

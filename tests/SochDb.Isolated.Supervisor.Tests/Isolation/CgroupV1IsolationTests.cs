using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

/// <summary>cgroup v1 laid out as on the machine these tests were written on: memory nested, pids, cpu and freezer at their roots.</summary>
public sealed class CgroupV1IsolationTests : IDisposable
{
    private static readonly WorkerLimits Limits = new(256L << 20, 64, 0.5);

    private readonly FakeCgroupFs fs = new();
    private readonly TestLogger logger = new();
    private readonly string memory;
    private readonly string pids;
    private readonly string cpu;
    private readonly string freezer;

    public CgroupV1IsolationTests()
    {
        memory = fs.MakeGroups(Path.Combine(fs.AddV1Root("cg/memory", "memory"), "process_api", "abc"));
        pids = fs.AddV1Root("cg/pids", "pids");
        cpu = fs.AddV1Root("cg/cpu,cpuacct", "cpu", "cpuacct");
        freezer = fs.AddV1Root("cg/freezer", "freezer");
        fs.Place(memory, fs.Processes.CurrentProcessId);
        fs.Place(pids, fs.Processes.CurrentProcessId);
    }

    public void Dispose() => fs.Dispose();

    [Fact]
    public async Task Create_HybridLayout_CreatesTheParentBeneathTheOwnGroupOfEachHierarchy()
    {
        var before = fs.AllDirectories();

        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);

        Assert.Equal(Path.Combine(memory, "sochdb-isolated-4000"), isolation.ParentDirectories["memory"]);
        Assert.Equal(Path.Combine(pids, "sochdb-isolated-4000"), isolation.ParentDirectories["pids"]);
        Assert.Equal(Path.Combine(cpu, "sochdb-isolated-4000"), isolation.ParentDirectories["cpu"]);
        Assert.Equal(Path.Combine(freezer, "sochdb-isolated-4000"), isolation.ParentDirectories["freezer"]);
        string[] added = ["cg/cpu,cpuacct/sochdb-isolated-4000", "cg/freezer/sochdb-isolated-4000", "cg/memory/process_api/abc/sochdb-isolated-4000", "cg/pids/sochdb-isolated-4000"];
        Assert.Equal(before.Concat(added).Order(StringComparer.Ordinal), fs.AllDirectories());
    }

    [Fact]
    public async Task CreateGroup_Limits_WritesTheMemoryLimitBeforeAnEqualMemswLimit()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);

        await using var group = isolation.CreateGroup("p", Limits);

        var directory = Path.Combine(memory, "sochdb-isolated-4000", "w-p");
        var order = fs.Writes.Select(w => Path.GetRelativePath(directory, w.Path)).ToList();
        Assert.True(order.IndexOf("memory.limit_in_bytes") < order.IndexOf("memory.memsw.limit_in_bytes"));
        Assert.Equal("268435456", File.ReadAllText(Path.Combine(directory, "memory.limit_in_bytes")));
        Assert.Equal("268435456", File.ReadAllText(Path.Combine(directory, "memory.memsw.limit_in_bytes")));
        Assert.Equal("1", File.ReadAllText(Path.Combine(directory, "memory.move_charge_at_immigrate")));
        Assert.Equal(directory, group.Name);
    }

    [Fact]
    public async Task CreateGroup_Limits_WritesTasksAndCpuQuotaPerPeriod()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);

        await using var group = isolation.CreateGroup("p", Limits);

        Assert.Equal("64", File.ReadAllText(Path.Combine(pids, "sochdb-isolated-4000", "w-p", "pids.max")));
        Assert.Equal("100000", File.ReadAllText(Path.Combine(cpu, "sochdb-isolated-4000", "w-p", "cpu.cfs_period_us")));
        Assert.Equal("50000", File.ReadAllText(Path.Combine(cpu, "sochdb-isolated-4000", "w-p", "cpu.cfs_quota_us")));
    }

    [Fact]
    public async Task CreateGroup_MoveChargeRefusedAndNoSwapAccounting_StillLimitsMemory()
    {
        fs.MoveChargeRefused = true;
        fs.SwapAccounting = false;
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);

        await using var group = isolation.CreateGroup("p", Limits);

        var directory = Path.Combine(memory, "sochdb-isolated-4000", "w-p");
        Assert.Equal("268435456", File.ReadAllText(Path.Combine(directory, "memory.limit_in_bytes")));
        Assert.Equal("0", File.ReadAllText(Path.Combine(directory, "memory.move_charge_at_immigrate")));
        Assert.False(File.Exists(Path.Combine(directory, "memory.memsw.limit_in_bytes")));
    }

    [Fact]
    public async Task Add_Pid_JoinsTheGroupInEveryHierarchy()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var pid = fs.Processes.Spawn();

        group.Add(pid);

        foreach (var hierarchy in new[] { memory, pids, cpu, freezer })
        {
            Assert.Equal([pid], fs.Pids(Path.Combine(hierarchy, "sochdb-isolated-4000", "w-p")));
        }
    }

    [Fact]
    public async Task Read_OomControl_CountsOomKillsAndIgnoresFailcnt()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var directory = Path.Combine(memory, "sochdb-isolated-4000", "w-p");
        fs.SetFile(Path.Combine(directory, "memory.usage_in_bytes"), "4096\n");
        fs.SetFile(Path.Combine(directory, "memory.max_usage_in_bytes"), "8192\n");
        fs.SetFile(Path.Combine(directory, "memory.failcnt"), "57\n");
        fs.SetFile(Path.Combine(directory, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");

        Assert.Equal(new WorkerGroupSnapshot(4096, 8192, 2, 256L << 20), group.Read());

        // Kernels before 4.13 have no oom_kill line: unknown is zero, never the failure count.
        fs.SetFile(Path.Combine(directory, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\n");
        Assert.Equal(0, group.Read().OomKills);
    }

    [Fact]
    public async Task Kill_WithFreezer_SignalsEveryProcessWhileFrozenThenThaws()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var inside = new[] { fs.Processes.Spawn(), fs.Processes.Spawn() };
        group.Add(inside[0]);
        group.Add(inside[1]);
        var state = Path.Combine(freezer, "sochdb-isolated-4000", "w-p", "freezer.state");
        var statesAtKill = new List<string>();
        fs.Processes.Killing = _ => statesAtKill.Add(File.ReadAllText(state));

        group.Kill();

        Assert.Equal(["FROZEN", "FROZEN"], statesAtKill);
        Assert.Equal("THAWED", File.ReadAllText(state));
        Assert.All(inside, pid => Assert.False(fs.Processes.IsAlive(pid)));
    }

    [Fact]
    public async Task Kill_WithoutFreezer_SignalsEveryListedProcess()
    {
        var own = Own();
        own.Remove("freezer");
        await using var isolation = CgroupV1Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var inside = new[] { fs.Processes.Spawn(), fs.Processes.Spawn() };
        group.Add(inside[0]);
        group.Add(inside[1]);

        group.Kill();

        Assert.Equal(inside, fs.Processes.Killed);
        Assert.False(Directory.Exists(Path.Combine(freezer, "sochdb-isolated-4000")));
    }

    [Fact]
    public async Task DisposeAsync_PopulatedGroupsAndIsolation_LeavesEveryHierarchyAsItWas()
    {
        var before = fs.AllDirectories();
        var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        var group = isolation.CreateGroup("p", Limits);
        var undisposed = isolation.CreateGroup("q", Limits);
        var pid = fs.Processes.Spawn();
        group.Add(pid);
        undisposed.Add(fs.Processes.Spawn());

        await group.DisposeAsync().AsTask().DefaultTimeout();
        Assert.False(fs.Processes.IsAlive(pid));
        Assert.All(new[] { memory, pids, cpu, freezer }, h => Assert.False(Directory.Exists(Path.Combine(h, "sochdb-isolated-4000", "w-p"))));

        await isolation.DisposeAsync().AsTask().DefaultTimeout();
        Assert.Equal(before, fs.AllDirectories());
    }

    [Fact]
    public void Create_PidsNotMounted_ThrowsNamingIt()
    {
        var own = Own();
        own.Remove("pids");

        var error = Assert.Throws<IsolationException>(() => CgroupV1Isolation.Create(own, fs.Platform, logger));

        Assert.Contains("pids", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_PidsParentRefused_ThrowsAndRemovesTheMemoryParent()
    {
        var before = fs.AllDirectories();
        fs.DenyCreate = path => path.StartsWith(pids, StringComparison.Ordinal);

        var error = Assert.Throws<IsolationException>(() => CgroupV1Isolation.Create(Own(), fs.Platform, logger));

        Assert.Contains(pids, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, fs.AllDirectories());
    }

    [Fact]
    public async Task Create_CpuParentRefused_WorksWithoutCpu()
    {
        fs.DenyCreate = path => path.StartsWith(cpu, StringComparison.Ordinal);

        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);

        Assert.False(isolation.ParentDirectories.ContainsKey("cpu"));
        Assert.Equal("268435456", File.ReadAllText(Path.Combine(memory, "sochdb-isolated-4000", "w-p", "memory.limit_in_bytes")));
        Assert.DoesNotContain(fs.Writes, w => w.Path.StartsWith(cpu, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_StaleParentInOneHierarchy_IsKilledAndRemovedThere()
    {
        var stale = fs.MakeGroups(Path.Combine(memory, "sochdb-isolated-777", "w-x"));
        var leftover = fs.Processes.Spawn();
        fs.Place(stale, leftover);
        var aboveOwn = fs.MakeGroups(Path.Combine(Path.GetDirectoryName(memory)!, "sochdb-isolated-778"));

        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);

        Assert.False(Directory.Exists(Path.Combine(memory, "sochdb-isolated-777")));
        Assert.False(fs.Processes.IsAlive(leftover));
        Assert.True(Directory.Exists(aboveOwn));
    }

    [Fact]
    public async Task SetLimits_Raise_WritesMemswBeforeTheMemoryLimit()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var before = fs.Writes.Count;

        group.SetLimits(Limits with { MemoryBytes = 512L << 20 });

        var directory = Path.Combine(memory, "sochdb-isolated-4000", "w-p");
        var written = fs.Writes.Skip(before).Select(w => Path.GetFileName(w.Path)).ToList();
        Assert.Equal(["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"], written);
        Assert.Equal("536870912", File.ReadAllText(Path.Combine(directory, "memory.limit_in_bytes")));
        Assert.Equal("536870912", File.ReadAllText(Path.Combine(directory, "memory.memsw.limit_in_bytes")));
        Assert.Equal(512L << 20, group.Read().MemoryLimitBytes);
    }

    [Fact]
    public async Task SetLimits_Lower_WritesTheMemoryLimitBeforeMemsw()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var before = fs.Writes.Count;

        group.SetLimits(Limits with { MemoryBytes = 64L << 20 });

        var directory = Path.Combine(memory, "sochdb-isolated-4000", "w-p");
        var written = fs.Writes.Skip(before).Select(w => Path.GetFileName(w.Path)).ToList();
        Assert.Equal(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"], written);
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(directory, "memory.limit_in_bytes")));
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(directory, "memory.memsw.limit_in_bytes")));
    }

    [Fact]
    public async Task SetLimits_TasksAndCpu_RewritesPidsMaxAndTheQuota()
    {
        await using var isolation = CgroupV1Isolation.Create(Own(), fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);

        group.SetLimits(Limits with { MaxProcesses = 20, CpuCores = 2 });

        Assert.Equal("20", File.ReadAllText(Path.Combine(pids, "sochdb-isolated-4000", "w-p", "pids.max")));
        Assert.Equal("200000", File.ReadAllText(Path.Combine(cpu, "sochdb-isolated-4000", "w-p", "cpu.cfs_quota_us")));
    }

    private Dictionary<string, string> Own() => new(StringComparer.Ordinal)
    {
        ["memory"] = memory,
        ["pids"] = pids,
        ["cpu"] = cpu,
        ["cpuacct"] = cpu,
        ["freezer"] = freezer,
    };
}

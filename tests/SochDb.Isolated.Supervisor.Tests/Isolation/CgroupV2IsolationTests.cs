using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

public sealed class CgroupV2IsolationTests : IDisposable
{
    private static readonly WorkerLimits Limits = new(300L << 20, 64, 1.5);

    private readonly FakeCgroupFs fs = new();
    private readonly TestLogger logger = new();
    private readonly string root;
    private readonly string own;

    public CgroupV2IsolationTests()
    {
        root = fs.AddUnifiedRoot("cg", "cpu", "io", "memory", "pids");
        fs.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "+cpu +io +memory +pids");
        var slice = fs.MakeGroups(Path.Combine(root, "system.slice"));
        fs.WriteAllText(Path.Combine(slice, "cgroup.subtree_control"), "+cpu +memory +pids");
        own = fs.MakeGroups(Path.Combine(slice, "app.service"));
    }

    private string Parent => Path.Combine(own, "sochdb-isolated-4000");

    public void Dispose() => fs.Dispose();

    [Fact]
    public async Task Create_OwnGroupDelegates_CreatesTheParentBeneathItWithControllersEnabled()
    {
        DelegateOwnGroup();
        var before = fs.AllDirectories();

        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);

        Assert.Equal(Parent, isolation.ParentDirectory);
        Assert.Equal(IsolationMode.CgroupV2, isolation.Mode);
        Assert.Equal("cpu memory pids", File.ReadAllText(Path.Combine(Parent, "cgroup.subtree_control")));
        Assert.Equal([.. before, "cg/system.slice/app.service/sochdb-isolated-4000"], fs.AllDirectories());
    }

    [Fact]
    public async Task CreateGroup_Limits_WritesBytesTasksNoSwapAndCpuQuotaPerPeriod()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);

        await using var group = isolation.CreateGroup("plugin-a", Limits);

        var directory = Path.Combine(Parent, "w-plugin-a");
        Assert.Equal(directory, group.Name);
        Assert.Equal("314572800", File.ReadAllText(Path.Combine(directory, "memory.max")));
        Assert.Equal("0", File.ReadAllText(Path.Combine(directory, "memory.swap.max")));
        Assert.Equal("64", File.ReadAllText(Path.Combine(directory, "pids.max")));
        Assert.Equal("150000 100000", File.ReadAllText(Path.Combine(directory, "cpu.max")));
    }

    [Fact]
    public async Task CreateGroup_TinyCpuShare_QuotaIsTheKernelMinimum()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);

        await using var group = isolation.CreateGroup("p", Limits with { CpuCores = 0.001 });

        Assert.Equal("1000 100000", File.ReadAllText(Path.Combine(Parent, "w-p", "cpu.max")));
    }

    [Fact]
    public async Task CreateGroup_NoSwapAccounting_LimitsMemoryWithoutSwapFile()
    {
        fs.SwapAccounting = false;
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);

        await using var group = isolation.CreateGroup("p", Limits);

        Assert.Equal("314572800", File.ReadAllText(Path.Combine(Parent, "w-p", "memory.max")));
        Assert.False(File.Exists(Path.Combine(Parent, "w-p", "memory.swap.max")));
    }

    [Fact]
    public async Task CreateGroup_NameTakenOrUnsafe_Throws()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);

        Assert.Throws<IsolationException>(() => isolation.CreateGroup("p", Limits));
        Assert.Throws<ArgumentException>(() => isolation.CreateGroup("../escape", Limits));
        Assert.Throws<ArgumentException>(() => isolation.CreateGroup("..", Limits));
    }

    [Fact]
    public async Task Add_LivePid_MovesItFromTheSupervisorsGroupIntoTheWorkersGroup()
    {
        var main = DelegateOwnGroup();
        var pid = fs.Processes.Spawn();
        fs.Place(main, pid);
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);

        group.Add(pid);

        Assert.Equal([pid], fs.Pids(Path.Combine(Parent, "w-p")));
        Assert.DoesNotContain(pid, fs.Pids(main));
    }

    [Fact]
    public async Task Add_DeadPid_ThrowsIsolationException()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);

        var error = Assert.Throws<IsolationException>(() => group.Add(99_999));

        Assert.Contains("99999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_InterfaceFiles_ReportsCurrentPeakAndOomKills()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var directory = Path.Combine(Parent, "w-p");
        fs.SetFile(Path.Combine(directory, "memory.current"), "1000\n");
        fs.SetFile(Path.Combine(directory, "memory.peak"), "5000\n");
        fs.SetFile(Path.Combine(directory, "memory.events"), "low 0\nhigh 0\nmax 12\noom 4\noom_kill 3\noom_group_kill 0\n");

        Assert.Equal(new WorkerGroupSnapshot(1000, 5000, 3, 300L << 20), group.Read());

        File.Delete(Path.Combine(directory, "memory.peak"));
        Assert.Equal(new WorkerGroupSnapshot(1000, null, 3, 300L << 20), group.Read());
    }

    [Fact]
    public async Task Kill_WithCgroupKill_KillsEveryProcessOfTheGroupAndNoOther()
    {
        var main = DelegateOwnGroup();
        var outside = fs.Processes.Spawn();
        fs.Place(main, outside);
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var inside = new[] { fs.Processes.Spawn(), fs.Processes.Spawn() };
        group.Add(inside[0]);
        group.Add(inside[1]);

        group.Kill();

        Assert.Contains(fs.Writes, w => w.Path == Path.Combine(Parent, "w-p", "cgroup.kill") && w.Value == "1");
        Assert.All(inside, pid => Assert.False(fs.Processes.IsAlive(pid)));
        Assert.True(fs.Processes.IsAlive(outside));
    }

    [Fact]
    public async Task Kill_WithoutCgroupKill_SignalsEveryListedProcess()
    {
        fs.CgroupKill = false;
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var inside = new[] { fs.Processes.Spawn(), fs.Processes.Spawn() };
        group.Add(inside[0]);
        group.Add(inside[1]);

        group.Kill();

        Assert.Equal(inside, fs.Processes.Killed);
        Assert.Empty(fs.Pids(Path.Combine(Parent, "w-p")));
    }

    [Fact]
    public async Task DisposeAsync_PopulatedGroup_KillsItsProcessesAndRemovesTheDirectory()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        var group = isolation.CreateGroup("p", Limits);
        var pid = fs.Processes.Spawn();
        group.Add(pid);

        await group.DisposeAsync().AsTask().DefaultTimeout();

        Assert.False(fs.Processes.IsAlive(pid));
        Assert.False(Directory.Exists(Path.Combine(Parent, "w-p")));
        Assert.True(Directory.Exists(Parent));
    }

    [Fact]
    public async Task DisposeAsync_Isolation_EndsUndisposedGroupsAndRemovesTheParent()
    {
        DelegateOwnGroup();
        var before = fs.AllDirectories();
        var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        var group = isolation.CreateGroup("p", Limits);
        var pid = fs.Processes.Spawn();
        group.Add(pid);

        await isolation.DisposeAsync().AsTask().DefaultTimeout();

        Assert.False(fs.Processes.IsAlive(pid));
        Assert.Equal(before, fs.AllDirectories());
        Assert.Throws<ObjectDisposedException>(() => isolation.CreateGroup("q", Limits));
    }

    [Fact]
    public async Task Create_SupervisorAloneInItsGroup_MovesItselfIntoALeafAndDelegates()
    {
        fs.Place(own, fs.Processes.CurrentProcessId);

        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);

        Assert.Equal([fs.Processes.CurrentProcessId], fs.Pids(Path.Combine(own, "supervisor")));
        Assert.Empty(fs.Pids(own));
        Assert.Equal("cpu memory pids", File.ReadAllText(Path.Combine(own, "cgroup.subtree_control")));
        Assert.Equal(Parent, isolation.ParentDirectory);
        Assert.Single(logger.Of(1110));
        await using var group = isolation.CreateGroup("p", Limits);
        Assert.True(File.Exists(Path.Combine(Parent, "w-p", "memory.max")));
    }

    [Fact]
    public async Task Create_AfterTheSupervisorMovedItself_CreatesTheParentBesideTheLeafNotBeneathIt()
    {
        fs.Place(own, fs.Processes.CurrentProcessId);
        await CgroupV2Isolation.Create(own, fs.Platform, logger).DisposeAsync();

        // /proc/self/cgroup now names the leaf.
        await using var again = CgroupV2Isolation.Create(Path.Combine(own, "supervisor"), fs.Platform, logger);

        Assert.Equal(Parent, again.ParentDirectory);
        Assert.Single(logger.Of(1110));
    }

    [Fact]
    public void Create_OwnGroupHoldsOtherProcesses_ThrowsAndMovesNothing()
    {
        var other = fs.Processes.Spawn();
        fs.Place(own, fs.Processes.CurrentProcessId);
        fs.Place(own, other);
        var before = fs.AllDirectories();

        var error = Assert.Throws<IsolationException>(() => CgroupV2Isolation.Create(own, fs.Platform, logger));

        Assert.Contains("holds processes (2", error.Message, StringComparison.Ordinal);
        Assert.Equal([fs.Processes.CurrentProcessId, other], fs.Pids(own));
        Assert.Equal(before, fs.AllDirectories());
    }

    [Fact]
    public void Create_PidsControllerMissing_ThrowsNamingIt()
    {
        fs.WriteAllText(Path.Combine(root, "system.slice", "cgroup.subtree_control"), "-pids");

        var error = Assert.Throws<IsolationException>(() => CgroupV2Isolation.Create(own, fs.Platform, logger));

        Assert.Contains("lacks the pids controller", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_StaleParents_RemovesOnlyThoseOfGoneSupervisorsBeneathItsOwnGroup()
    {
        DelegateOwnGroup();
        var livePid = fs.Processes.Spawn();
        var dead = fs.MakeGroups(Path.Combine(own, "sochdb-isolated-777", "w-x"));
        var leftover = fs.Processes.Spawn();
        fs.Place(dead, leftover);
        var reused = fs.MakeGroups(Path.Combine(own, "sochdb-isolated-4000", "w-y"));
        var alive = fs.MakeGroups(Path.Combine(own, $"sochdb-isolated-{livePid}", "w-z"));
        var unrelated = fs.MakeGroups(Path.Combine(own, "other-777"));
        var outsideOwn = fs.MakeGroups(Path.Combine(root, "system.slice", "sochdb-isolated-778"));

        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);

        Assert.False(Directory.Exists(Path.Combine(own, "sochdb-isolated-777")));
        Assert.False(fs.Processes.IsAlive(leftover));
        Assert.False(Directory.Exists(reused));
        Assert.True(Directory.Exists(alive));
        Assert.True(Directory.Exists(unrelated));
        Assert.True(Directory.Exists(outsideOwn));
        Assert.Equal(Parent, isolation.ParentDirectory);
        Assert.Equal(2, logger.Of(1107).Count);
    }

    [Fact]
    public async Task Create_SecondIsolationInTheSameProcess_GetsItsOwnParentAndLeavesTheFirstAlone()
    {
        DelegateOwnGroup();
        await using var first = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = first.CreateGroup("p", Limits);

        await using var second = CgroupV2Isolation.Create(own, fs.Platform, logger);

        Assert.Equal(Parent + "-1", second.ParentDirectory);
        Assert.True(Directory.Exists(Path.Combine(Parent, "w-p")));
        Assert.Empty(logger.Of(1107));
    }

    /// <summary>The usual delegated layout: the supervisor in a leaf of its own group, which hands memory, pids and cpu on.</summary>
    [Fact]
    public async Task SetLimits_Adoption_RewritesMemoryTasksAndCpuAndReadReportsTheNewLimit()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);

        group.SetLimits(new WorkerLimits(100L << 20, 32, 0.5));

        var directory = Path.Combine(Parent, "w-p");
        Assert.Equal("104857600", File.ReadAllText(Path.Combine(directory, "memory.max")));
        Assert.Equal("0", File.ReadAllText(Path.Combine(directory, "memory.swap.max")));
        Assert.Equal("32", File.ReadAllText(Path.Combine(directory, "pids.max")));
        Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(directory, "cpu.max")));
        Assert.Equal(100L << 20, group.Read().MemoryLimitBytes);
    }

    [Fact]
    public async Task SetLimits_OnlyMemoryDiffers_WritesOnlyMemoryMax()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var before = fs.Writes.Count;

        group.SetLimits(Limits with { MemoryBytes = 500L << 20 });

        var written = fs.Writes.Skip(before).Select(w => Path.GetFileName(w.Path)).ToList();
        Assert.Equal(["memory.max"], written);
        Assert.Equal("524288000", File.ReadAllText(Path.Combine(Parent, "w-p", "memory.max")));
    }

    [Fact]
    public async Task SetLimits_Disposed_Throws()
    {
        DelegateOwnGroup();
        await using var isolation = CgroupV2Isolation.Create(own, fs.Platform, logger);
        var group = isolation.CreateGroup("p", Limits);
        await group.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => group.SetLimits(Limits));
    }

    private string DelegateOwnGroup()
    {
        var main = fs.MakeGroups(Path.Combine(own, "main"));
        fs.Place(main, fs.Processes.CurrentProcessId);
        fs.WriteAllText(Path.Combine(own, "cgroup.subtree_control"), "+cpu +memory +pids");
        return main;
    }
}

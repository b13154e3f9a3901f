using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

public sealed class WorkerIsolationFactoryTests : IDisposable
{
    private readonly FakeCgroupFs fs = new();
    private readonly TestLogger logger = new();

    public void Dispose() => fs.Dispose();

    [Fact]
    public async Task Create_AutoWithUsableV2_PicksCgroupV2()
    {
        UnifiedHost(controllers: ["cpu", "memory", "pids"]);

        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions(), logger, fs.Platform);

        Assert.Equal(IsolationMode.CgroupV2, isolation.Mode);
        Assert.Empty(logger.Of(1101));
        Assert.Contains(Path.Combine(fs.Root, "v2", "app", "sochdb-isolated-4000"), Assert.Single(logger.Of(1100)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AutoOnHybridHost_PicksCgroupV1AndSaysWhyV2IsUnavailable()
    {
        UnifiedHost(controllers: [], v1: true);

        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions(), logger, fs.Platform);

        Assert.Equal(IsolationMode.CgroupV1, isolation.Mode);
        var unavailable = Assert.Single(logger.Of(1101));
        Assert.Equal(LogLevel.Information, unavailable.Level);
        Assert.Contains("CgroupV2", unavailable.Message, StringComparison.Ordinal);
        Assert.Contains("lacks the memory and pids", unavailable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AutoWhereV2ParentCannotBeCreated_FallsBackToV1()
    {
        UnifiedHost(controllers: ["memory", "pids"], v1: true);
        fs.DenyCreate = path => path.StartsWith(Path.Combine(fs.Root, "v2"), StringComparison.Ordinal);

        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions(), logger, fs.Platform);

        Assert.Equal(IsolationMode.CgroupV1, isolation.Mode);
        Assert.Contains("Cannot create the cgroup", Assert.Single(logger.Of(1101)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AutoWithoutCgroups_FallsBackToTheWatchdogWithAWarningPerStrongerMode()
    {
        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions(), logger, fs.Platform);

        Assert.Equal(IsolationMode.Watchdog, isolation.Mode);
        var unavailable = logger.Of(1101);
        Assert.Equal(3, unavailable.Count);
        Assert.All(unavailable, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains(unavailable, e => e.Message.Contains("CgroupV2", StringComparison.Ordinal));
        Assert.Contains(unavailable, e => e.Message.Contains("CgroupV1", StringComparison.Ordinal));
        Assert.Contains(unavailable, e => e.Message.Contains("JobObject", StringComparison.Ordinal));
        Assert.Single(logger.Of(1102));
    }

    [Fact]
    public void Create_ExplicitModeUnavailable_ThrowsNamingTheModeAndWhy()
    {
        UnifiedHost(controllers: [], v1: true);

        var error = Assert.Throws<IsolationException>(() => WorkerIsolationFactory.Create(new IsolationOptions { Mode = IsolationMode.CgroupV2 }, logger, fs.Platform));

        Assert.Contains("CgroupV2", error.Message, StringComparison.Ordinal);
        Assert.Contains("lacks the memory and pids", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(fs.Root, "v2", "app")));
    }

    [Fact]
    public void Create_ExplicitCgroupModeWithoutCgroups_Throws()
    {
        var platform = fs.Platform with { CgroupsPossible = false };

        var error = Assert.Throws<IsolationException>(() => WorkerIsolationFactory.Create(new IsolationOptions { Mode = IsolationMode.CgroupV1 }, logger, platform));

        Assert.Contains("only on Linux", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ExplicitWatchdog_IsUsedEvenWhereCgroupsWork()
    {
        UnifiedHost(controllers: ["memory", "pids"]);

        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions { Mode = IsolationMode.Watchdog }, logger, fs.Platform);

        Assert.Equal(IsolationMode.Watchdog, isolation.Mode);
        Assert.Empty(logger.Of(1102));
        Assert.Empty(Directory.GetDirectories(Path.Combine(fs.Root, "v2", "app")));
    }

    [Fact]
    public void Create_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerIsolationFactory.Create(new IsolationOptions { MaxProcessesPerWorker = 1 }, logger, fs.Platform));
    }

    [Fact]
    public async Task Create_CgroupRootOverrideWithPlainDirectories_CreatesAndRemovesGroups()
    {
        var root = Path.Combine(fs.Root, "override");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "memory pids");
        File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), string.Empty);
        File.WriteAllText(Path.Combine(root, "cgroup.procs"), string.Empty);

        var isolation = WorkerIsolationFactory.Create(new IsolationOptions { CgroupRootOverride = root }, logger);
        var group = isolation.CreateGroup("plain", new WorkerLimits(100, 16, 1));
        var parent = Assert.Single(Directory.GetDirectories(root));

        Assert.Equal(IsolationMode.CgroupV2, isolation.Mode);
        Assert.StartsWith("sochdb-isolated-", Path.GetFileName(parent), StringComparison.Ordinal);
        Assert.Equal("100", File.ReadAllText(Path.Combine(parent, "w-plain", "memory.max")));
        Assert.Equal("16", File.ReadAllText(Path.Combine(parent, "w-plain", "pids.max")));
        await group.DisposeAsync();
        await isolation.DisposeAsync();
        Assert.Empty(Directory.GetDirectories(root));
    }

    /// <summary>Writes fake <c>/proc/self</c> files for a supervisor in <c>/app</c> of a cgroup2 mount, and optionally v1 memory and pids mounts.</summary>
    private void UnifiedHost(string[] controllers, bool v1 = false)
    {
        var unified = fs.AddUnifiedRoot("v2", controllers);
        if (controllers.Length > 0)
        {
            fs.WriteAllText(Path.Combine(unified, "cgroup.subtree_control"), string.Join(' ', controllers.Select(c => "+" + c)));
        }

        var app = fs.MakeGroups(Path.Combine(unified, "app"));
        var cgroup = "0::/app\n";
        var mountinfo = $"41 31 0:38 / {unified} rw,relatime - cgroup2 cgroup2 rw\n";
        if (v1)
        {
            var memory = fs.AddV1Root("v1-memory", "memory");
            var pids = fs.AddV1Root("v1-pids", "pids");
            fs.MakeGroups(Path.Combine(memory, "svc"));
            cgroup = "4:memory:/svc\n8:pids:/\n" + cgroup;
            mountinfo += $"35 31 0:32 / {memory} rw - cgroup cgroup rw,memory\n39 31 0:36 / {pids} rw - cgroup cgroup rw,pids\n";
        }

        File.WriteAllText(fs.Platform.ProcSelfCgroupPath, cgroup);
        File.WriteAllText(fs.Platform.ProcSelfMountInfoPath, mountinfo);
        _ = app;
    }
}

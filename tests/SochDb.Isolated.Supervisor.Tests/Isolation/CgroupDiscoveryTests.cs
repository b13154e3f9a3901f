using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

public sealed class CgroupDiscoveryTests
{
    /// <summary>The membership of a process on the machine these tests were written on: hybrid, memory nested, the rest at the root.</summary>
    private const string HybridCgroup = """
        9:name=systemd:/
        8:pids:/
        7:blkio:/
        6:freezer:/
        5:devices:/
        4:memory:/process_api/8d6deab188179ef15b3984fb8b7fb89f
        3:cpuset:/
        2:cpuacct:/
        1:cpu:/
        0::/
        """;

    private const string HybridMountInfo = """
        25 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    [Fact]
    public void ParseProcCgroup_V1AndV2Lines_ReadsIdsControllersAndPaths()
    {
        var memberships = CgroupDiscovery.ParseProcCgroup("12:cpu,cpuacct:/a/b\n1:name=systemd:/user.slice\n0::/app.slice/x:y.service\n\nnot a line\n");

        Assert.Equal(3, memberships.Count);
        Assert.Equal(12, memberships[0].HierarchyId);
        Assert.Equal(["cpu", "cpuacct"], memberships[0].Controllers);
        Assert.Equal("/a/b", memberships[0].Path);
        Assert.False(memberships[0].IsUnified);
        Assert.Equal(["name=systemd"], memberships[1].Controllers);
        Assert.True(memberships[2].IsUnified);
        Assert.Equal("/app.slice/x:y.service", memberships[2].Path);
    }

    [Fact]
    public void ParseMountInfo_MixedMounts_KeepsOnlyCgroupMountsWithRootAndOptions()
    {
        var mounts = CgroupDiscovery.ParseMountInfo("""
            22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw
            30 22 0:26 /docker/abc /sys/fs/cgroup/cpu\040acct rw,nosuid shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct
            31 22 0:27 /.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate
            """);

        Assert.Equal(2, mounts.Count);
        Assert.Equal("/docker/abc", mounts[0].Root);
        Assert.Equal("/sys/fs/cgroup/cpu acct", mounts[0].MountPoint);
        Assert.False(mounts[0].IsUnified);
        Assert.Contains("cpu", mounts[0].Options);
        Assert.Contains("cpuacct", mounts[0].Options);
        Assert.True(mounts[1].IsUnified);
        Assert.Empty(mounts[1].Options);
    }

    [Fact]
    public void Resolve_HybridLayout_MapsEachControllerToItsOwnGroup()
    {
        var layout = CgroupDiscovery.Resolve(CgroupDiscovery.ParseProcCgroup(HybridCgroup), CgroupDiscovery.ParseMountInfo(HybridMountInfo));

        Assert.Equal("/sys/fs/cgroup/memory/process_api/8d6deab188179ef15b3984fb8b7fb89f", layout.ControllerDirectories["memory"]);
        Assert.Equal("/sys/fs/cgroup/pids", layout.ControllerDirectories["pids"]);
        Assert.Equal("/sys/fs/cgroup/cpu", layout.ControllerDirectories["cpu"]);
        Assert.Equal("/sys/fs/cgroup/freezer", layout.ControllerDirectories["freezer"]);
        Assert.Equal("/sys/fs/cgroup/unified", layout.UnifiedDirectory);
        Assert.Contains(layout.Notes, n => n.StartsWith("cpuset", StringComparison.Ordinal));
    }

    [Fact]
    public void Resolve_CoMountedControllers_ShareOneDirectory()
    {
        var layout = CgroupDiscovery.Resolve(
            CgroupDiscovery.ParseProcCgroup("3:cpu,cpuacct:/svc\n"),
            CgroupDiscovery.ParseMountInfo("30 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu\n"));

        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/svc", layout.ControllerDirectories["cpu"]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct/svc", layout.ControllerDirectories["cpuacct"]);
    }

    [Fact]
    public void Resolve_MountRootIsASubtree_AppendsOnlyThePathBelowTheRoot()
    {
        var layout = CgroupDiscovery.Resolve(
            CgroupDiscovery.ParseProcCgroup("4:memory:/docker/abc/app\n0::/kubepods/pod1/c2\n"),
            CgroupDiscovery.ParseMountInfo("""
                35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
                41 31 0:38 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw
                """));

        Assert.Equal("/sys/fs/cgroup/memory/app", layout.ControllerDirectories["memory"]);
        Assert.Equal("/sys/fs/cgroup/c2", layout.UnifiedDirectory);
    }

    [Fact]
    public void Resolve_GroupOutsideTheMountedSubtree_IsNotMappedAndSaysWhy()
    {
        var layout = CgroupDiscovery.Resolve(
            CgroupDiscovery.ParseProcCgroup("4:memory:/other/app\n0::/../sibling\n"),
            CgroupDiscovery.ParseMountInfo("""
                35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
                41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
                """));

        Assert.Empty(layout.ControllerDirectories);
        Assert.Null(layout.UnifiedDirectory);
        Assert.Contains(layout.Notes, n => n.Contains("/other/app is outside", StringComparison.Ordinal));
    }

    [Fact]
    public void Resolve_ControllerNotMounted_IsNoted()
    {
        var layout = CgroupDiscovery.Resolve(CgroupDiscovery.ParseProcCgroup("8:pids:/\n"), []);

        Assert.Empty(layout.ControllerDirectories);
        Assert.Equal(["pids: the hierarchy is not mounted"], layout.Notes);
    }

    [Fact]
    public void Discover_UnreadableFiles_ReturnsAnEmptyLayoutWithTheReason()
    {
        using var fs = new FakeCgroupFs();

        var layout = CgroupDiscovery.Discover(fs, Path.Combine(fs.Root, "missing-cgroup"), Path.Combine(fs.Root, "missing-mountinfo"));

        Assert.Null(layout.UnifiedDirectory);
        Assert.Empty(layout.ControllerDirectories);
        Assert.Single(layout.Notes);
    }

    [Fact]
    public void FromOverride_UnifiedLayout_IsTheOwnGroup()
    {
        using var fs = new FakeCgroupFs();
        var root = fs.AddUnifiedRoot("cg", "memory", "pids");

        var layout = CgroupDiscovery.FromOverride(fs, root);

        Assert.Equal(root, layout.UnifiedDirectory);
    }

    [Fact]
    public void FromOverride_ControllerDirectories_MapsEachControllerIncludingCoMountedOnes()
    {
        using var fs = new FakeCgroupFs();
        var memory = fs.AddV1Root("cg/memory", "memory");
        var cpu = fs.AddV1Root("cg/cpu,cpuacct", "cpu", "cpuacct");

        var layout = CgroupDiscovery.FromOverride(fs, Path.Combine(fs.Root, "cg"));

        Assert.Null(layout.UnifiedDirectory);
        Assert.Equal(memory, layout.ControllerDirectories["memory"]);
        Assert.Equal(cpu, layout.ControllerDirectories["cpu"]);
        Assert.Equal(cpu, layout.ControllerDirectories["cpuacct"]);
    }

    [Theory]
    [InlineData("sochdb-isolated-123", true, 123)]
    [InlineData("sochdb-isolated-123-2", true, 123)]
    [InlineData("sochdb-isolated-", false, 0)]
    [InlineData("sochdb-isolated-12a", false, 0)]
    [InlineData("sochdb-isolated-1-2-3", false, 0)]
    [InlineData("other-123", false, 0)]
    [InlineData("sochdb-isolated-0", false, 0)]
    public void TryParseOwner_Names_RecognisesOnlyParentGroups(string name, bool expected, int pid)
    {
        Assert.Equal(expected, SupervisorGroupNames.TryParseOwner(name, out var owner));
        Assert.Equal(pid, expected ? owner : 0);
    }

    [Theory]
    [InlineData("1234 567 89 1 0 400 0\n", 567L)]
    [InlineData("1234 567", 567L)]
    [InlineData("", null)]
    [InlineData("1234", null)]
    public void ParseStatmResidentPages_Lines_ReadsTheSecondField(string line, long? expected)
    {
        Assert.Equal(expected, OsProcessControl.ParseStatmResidentPages(System.Text.Encoding.ASCII.GetBytes(line)));
    }

    [Fact]
    public void For_PluginLimit_AddsTheRuntimeAllowanceAndCopiesTheRest()
    {
        var options = new IsolationOptions { RuntimeMemoryAllowanceBytes = 100L << 20, MaxProcessesPerWorker = 64, CpuCoresPerWorker = 0.5 };

        var limits = WorkerLimits.For(64L << 20, options);

        Assert.Equal(new WorkerLimits(164L << 20, 64, 0.5), limits);
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerLimits.For(-1, options));
    }

    [Fact]
    public void For_SeveralInstances_ScalesMemoryAndCpuButNotPastEveryCore()
    {
        var options = new IsolationOptions { RuntimeMemoryAllowanceBytes = 100L << 20, MaxProcessesPerWorker = 64, CpuCoresPerWorker = 0.5 };

        var two = WorkerLimits.For(8L << 20, options, instances: 2);
        var many = WorkerLimits.For(8L << 20, options, instances: 64);

        Assert.Equal(new WorkerLimits(116L << 20, 64, Math.Min(1.0, Environment.ProcessorCount)), two);
        Assert.Equal((8L << 20) * 64 + (100L << 20), many.MemoryBytes);
        Assert.Equal(Environment.ProcessorCount, many.CpuCores);
        Assert.Throws<ArgumentOutOfRangeException>(() => WorkerLimits.For(1, options, instances: 0));
    }
}

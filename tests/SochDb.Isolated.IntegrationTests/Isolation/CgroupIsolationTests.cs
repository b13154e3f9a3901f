using System.Globalization;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Isolation;

/// <summary>The cgroup isolation on this host's real cgroupfs (v1 or v2, whichever Auto picks); skipped without root or cgroups.</summary>
[Collection(OsIsolationCollection.Name)]
public sealed class CgroupIsolationTests : IAsyncLifetime
{
    private const long MemoryLimit = 64L << 20;

    private readonly ChildProcesses children = new();
    private readonly CapturingLoggerProvider logs = new();
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private IWorkerIsolation? isolation;

    public CgroupIsolationTests()
    {
        loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        logger = loggerFactory.CreateLogger("isolation");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await children.DisposeAsync();
        if (isolation is not null)
        {
            await isolation.DisposeAsync().AsTask().DefaultTimeout();
        }

        loggerFactory.Dispose();
    }

    [SkippableFact]
    public async Task Add_ProcessAllocatingPastTheMemoryLimit_IsOomKilledAndCounted()
    {
        var cgroups = await CreateIsolationAsync();
        await using var group = cgroups.CreateGroup(UniqueName(), new WorkerLimits(MemoryLimit, 64, 1));

        // The shell waits until it is in the group, then becomes tail, which buffers /dev/zero's endless line.
        var process = children.Shell("sleep 0.3; exec tail /dev/zero");
        group.Add(process.Id);
        await process.WaitForExitAsync().DefaultTimeout();

        Assert.Equal(137, process.ExitCode);
        var snapshot = group.Read();
        Assert.True(snapshot.OomKills >= 1, $"oom kills: {snapshot.OomKills}");
        Assert.True(snapshot.PeakMemoryBytes >= MemoryLimit / 2, $"peak: {snapshot.PeakMemoryBytes}");
        Assert.Equal(MemoryLimit, snapshot.MemoryLimitBytes);
    }

    [SkippableFact]
    public async Task Add_ShellForkingPastThePidsLimit_IsRefused()
    {
        var cgroups = await CreateIsolationAsync();
        await using var group = cgroups.CreateGroup(UniqueName(), new WorkerLimits(MemoryLimit, 8, 1));

        // The sleeps get their own output so that the shell's stderr ends when the shell does.
        var process = children.Shell("sleep 0.3; i=0; while [ $i -lt 30 ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done; wait");
        group.Add(process.Id);
        await process.WaitForExitAsync().DefaultTimeout();

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("fork", await children.StderrOf(process).DefaultTimeout(), StringComparison.OrdinalIgnoreCase);
        Assert.InRange(PidsIn(group).Count, 1, 8);
    }

    [SkippableFact]
    public async Task Kill_ShellWithChildren_KillsEveryProcessOfTheGroup()
    {
        var cgroups = await CreateIsolationAsync();
        await using var group = cgroups.CreateGroup(UniqueName(), new WorkerLimits(MemoryLimit, 64, 1));
        var process = children.Shell("sleep 0.3; sleep 60 & sleep 60 & sleep 60 & wait");
        group.Add(process.Id);
        await WaitUntilAsync(() => PidsIn(group).Count >= 4).DefaultTimeout();
        var members = PidsIn(group);

        group.Kill();

        await process.WaitForExitAsync().DefaultTimeout();
        Assert.Equal(137, process.ExitCode);
        await WaitUntilAsync(() => PidsIn(group).Count == 0).DefaultTimeout();
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 1113);
        Assert.All(members, pid => Assert.False(File.Exists($"/proc/{pid}/statm") && !IsZombie(pid), $"{pid} survived"));
    }

    [SkippableFact]
    public async Task DisposeAsync_GroupsAndIsolation_RemoveEveryDirectoryTheyCreated()
    {
        var cgroups = await CreateIsolationAsync();
        var parents = ParentDirectories(cgroups);
        var group = cgroups.CreateGroup(UniqueName(), new WorkerLimits(MemoryLimit, 64, 1));
        var groupDirectories = parents.Select(p => Path.Combine(p, "w-" + NameOf(group))).ToList();
        Assert.All(groupDirectories, d => Assert.True(Directory.Exists(d), d));
        var process = children.Shell("sleep 60");
        group.Add(process.Id);

        await group.DisposeAsync().AsTask().DefaultTimeout();
        Assert.All(groupDirectories, d => Assert.False(Directory.Exists(d), d));
        await process.WaitForExitAsync().DefaultTimeout();

        isolation = null;
        await cgroups.DisposeAsync().AsTask().DefaultTimeout();
        Assert.All(parents, d => Assert.False(Directory.Exists(d), d));
        foreach (var own in parents.Select(Path.GetDirectoryName).Distinct())
        {
            var ours = Directory.GetDirectories(own!, $"sochdb-isolated-{Environment.ProcessId}*").Where(d => !SupervisorGroupNames.IsLive(d));
            Assert.Empty(ours);
        }
    }

    [SkippableFact]
    public async Task Create_StaleGroupOfADeadSupervisor_KillsItsProcessesAndRemovesIt()
    {
        var probe = await CreateIsolationAsync();
        var own = Path.GetDirectoryName(ParentDirectories(probe)[0])!;
        isolation = null;
        await probe.DisposeAsync();

        var gone = children.Shell("exit 0");
        await gone.WaitForExitAsync().DefaultTimeout();
        var stale = Path.Combine(own, $"sochdb-isolated-{gone.Id}");
        var worker = Path.Combine(stale, "w-left-behind");
        Directory.CreateDirectory(stale);
        Directory.CreateDirectory(worker);
        var orphan = children.Shell("sleep 60");
        await File.WriteAllTextAsync(Path.Combine(worker, "cgroup.procs"), orphan.Id.ToString(CultureInfo.InvariantCulture));

        isolation = WorkerIsolationFactory.Create(new IsolationOptions(), logger);

        await orphan.WaitForExitAsync().DefaultTimeout();
        Assert.Equal(137, orphan.ExitCode);
        Assert.False(Directory.Exists(stale));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 1107 && e.Message.Contains(stale, StringComparison.Ordinal));
    }

    private static string UniqueName() => "it-" + Guid.NewGuid().ToString("N")[..12];

    private static string NameOf(IWorkerGroup group) => Path.GetFileName(group.Name)["w-".Length..];

    private static IReadOnlyList<string> ParentDirectories(IWorkerIsolation isolation) => isolation switch
    {
        CgroupV1Isolation v1 => v1.ParentDirectories.Values.Distinct().ToList(),
        CgroupV2Isolation v2 => [v2.ParentDirectory],
        _ => throw new InvalidOperationException(isolation.Mode.ToString()),
    };

    private static IReadOnlyList<int> PidsIn(IWorkerGroup group)
    {
        var directories = group is CgroupV1Group v1 ? v1.Directories : [group.Name];
        return directories
            .Select(d => Path.Combine(d, "cgroup.procs"))
            .Where(File.Exists)
            .SelectMany(f => File.ReadAllLines(f))
            .Select(l => int.Parse(l, CultureInfo.InvariantCulture))
            .Distinct()
            .ToList();
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(20);
        }
    }

    private async Task<IWorkerIsolation> CreateIsolationAsync()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "cgroups exist only on Linux");
        Skip.IfNot(Environment.IsPrivilegedProcess, "creating cgroups here needs root");
        var created = WorkerIsolationFactory.Create(new IsolationOptions(), logger);
        if (created.Mode is not (IsolationMode.CgroupV1 or IsolationMode.CgroupV2))
        {
            await created.DisposeAsync();
            var reasons = string.Join("; ", logs.Entries.Where(e => e.EventId.Id == 1101).Select(e => e.Message));
            Skip.If(true, $"no writable cgroup hierarchy: {reasons}");
        }

        isolation = created;
        return created;
    }
}

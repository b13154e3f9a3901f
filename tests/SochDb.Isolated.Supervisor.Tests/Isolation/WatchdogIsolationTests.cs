using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

public sealed class WatchdogIsolationTests
{
    private static readonly WorkerLimits Limits = new(100L << 20, 16, 1);

    private readonly FakeProcesses processes = new();
    private readonly TestLogger logger = new();

    private IsolationPlatform Platform => new() { FileSystem = new CgroupFileSystem(plainDirectories: true), Processes = processes };

    [Fact]
    public async Task Poll_UnderTheLimit_RecordsCurrentAndPeakWithoutKilling()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);
        var pid = processes.Spawn(60L << 20);
        group.Add(pid);

        isolation.Poll();
        processes.SetResident(pid, 40L << 20);
        isolation.Poll();

        Assert.Equal(new WorkerGroupSnapshot(40L << 20, 60L << 20, 0, 100L << 20), group.Read());
        Assert.Empty(processes.Killed);
    }

    [Fact]
    public async Task SetLimits_Lower_NextPollKillsAtTheNewLimit()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);
        var pid = processes.Spawn(60L << 20);
        group.Add(pid);
        isolation.Poll();
        Assert.Empty(processes.Killed);

        group.SetLimits(Limits with { MemoryBytes = 50L << 20 });
        isolation.Poll();

        Assert.Equal([pid], processes.Killed);
        Assert.Equal(50L << 20, group.Read().MemoryLimitBytes);
    }

    [Fact]
    public async Task Poll_PastTheLimit_KillsTheWorkerAndCountsOneOomKill()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);
        var pid = processes.Spawn(101L << 20);
        group.Add(pid);

        isolation.Poll();
        processes.MarkAlive(pid);
        isolation.Poll();

        Assert.Equal([pid], processes.Killed);
        Assert.Equal(1, group.Read().OomKills);
        Assert.Single(logger.Of(1111));
    }

    [Fact]
    public async Task Poll_SumOfTheGroupsProcesses_IsWhatCountsAgainstTheLimit()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);
        var first = processes.Spawn(60L << 20);
        var second = processes.Spawn(60L << 20);
        group.Add(first);
        group.Add(second);

        isolation.Poll();

        Assert.Equal([first, second], processes.Killed);
    }

    [Fact]
    public async Task Poll_ProcessGone_StopsWatchingItSoAReusedPidIsNeverKilled()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);
        var pid = processes.Spawn(10L << 20);
        group.Add(pid);
        processes.Kill(pid);
        isolation.Poll();

        processes.MarkAlive(pid);
        processes.SetResident(pid, 500L << 20);
        isolation.Poll();

        Assert.Equal([pid], processes.Killed);
        Assert.Equal(0, group.Read().OomKills);
        Assert.Null(group.Read().MemoryBytes);
    }

    [Fact]
    public async Task Kill_KillsEveryWatchedProcess()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);
        var pids = new[] { processes.Spawn(), processes.Spawn() };
        group.Add(pids[0]);
        group.Add(pids[1]);

        group.Kill();

        Assert.Equal(pids, processes.Killed);
    }

    [Fact]
    public async Task Add_DeadProcess_Throws()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromSeconds(1), Platform, logger, startLoop: false);
        await using var group = isolation.CreateGroup("p", Limits);

        Assert.Throws<IsolationException>(() => group.Add(12_345));
    }

    [Fact]
    public async Task Loop_ProcessGrowsPastTheLimit_IsKilledWithinAFewIntervals()
    {
        await using var isolation = new WatchdogIsolation(TimeSpan.FromMilliseconds(10), Platform, logger);
        await using var group = isolation.CreateGroup("p", Limits);
        var pid = processes.Spawn(10L << 20);
        group.Add(pid);
        processes.SetResident(pid, 200L << 20);

        await WaitUntilAsync(() => group.Read().OomKills == 1).DefaultTimeout();

        Assert.False(processes.IsAlive(pid));
    }

    [Fact]
    public async Task DisposeAsync_Isolation_StopsTheLoopAndKillsWhatIsLeft()
    {
        var isolation = new WatchdogIsolation(TimeSpan.FromMilliseconds(10), Platform, logger);
        var group = isolation.CreateGroup("p", Limits);
        var pid = processes.Spawn();
        group.Add(pid);

        await isolation.DisposeAsync().AsTask().DefaultTimeout();

        Assert.False(processes.IsAlive(pid));
        Assert.Throws<ObjectDisposedException>(() => isolation.CreateGroup("q", Limits));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(5);
        }
    }
}

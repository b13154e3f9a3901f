using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Isolation;

/// <summary>The watchdog against a real process that grows without bound.</summary>
[Collection(OsIsolationCollection.Name)]
public sealed class WatchdogProcessTests
{
    [SkippableFact]
    public async Task Loop_ProcessGrowingPastTheLimit_IsKilledAndCounted()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the test's memory hog is tail /dev/zero");
        await using var children = new ChildProcesses();
        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions { Mode = IsolationMode.Watchdog, WatchdogInterval = TimeSpan.FromMilliseconds(20) }, NullLogger.Instance);
        await using var group = isolation.CreateGroup("hog", new WorkerLimits(64L << 20, 16, 1));
        var process = children.Shell("exec tail /dev/zero");
        group.Add(process.Id);

        await process.WaitForExitAsync().DefaultTimeout();

        Assert.Equal(137, process.ExitCode);
        var snapshot = group.Read();
        Assert.Equal(1, snapshot.OomKills);
        Assert.True(snapshot.PeakMemoryBytes > 64L << 20, $"peak: {snapshot.PeakMemoryBytes}");
    }

    [SkippableFact]
    public async Task Kill_SleepingProcess_EndsItWithSigkill()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "the test's process is /bin/sh");
        await using var children = new ChildProcesses();
        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions { Mode = IsolationMode.Watchdog }, NullLogger.Instance);
        await using var group = isolation.CreateGroup("sleeper", new WorkerLimits(1L << 30, 16, 1));
        var process = children.Shell("exec sleep 60");
        group.Add(process.Id);
        await Task.Delay(300);
        Assert.NotNull(group.Read().MemoryBytes);

        group.Kill();

        await process.WaitForExitAsync().DefaultTimeout();
        Assert.Equal(137, process.ExitCode);
        Assert.Equal(0, group.Read().OomKills);
    }
}

using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Isolation;

/// <summary>Windows job objects; every test skips elsewhere.</summary>
[Collection(OsIsolationCollection.Name)]
[SupportedOSPlatform("windows")]
public sealed class JobObjectIsolationTests
{
    [SkippableFact]
    public async Task Create_Auto_PicksJobObjects()
    {
        Skip.IfNot(OperatingSystem.IsWindows(), "job objects exist only on Windows");

        await using var isolation = WorkerIsolationFactory.Create(new IsolationOptions(), NullLogger.Instance);

        Assert.Equal(IsolationMode.JobObject, isolation.Mode);
    }

    [SkippableFact]
    public async Task Kill_ProcessInTheJob_EndsItWithTheKilledExitCode()
    {
        Skip.IfNot(OperatingSystem.IsWindows(), "job objects exist only on Windows");
        await using var isolation = JobObjectIsolation.Create(NullLogger.Instance);
        await using var group = isolation.CreateGroup("sleeper", new WorkerLimits(256L << 20, 16, 1));
        using var process = Process.Start(new ProcessStartInfo("cmd.exe", "/c ping -n 60 127.0.0.1 > nul") { UseShellExecute = false, CreateNoWindow = true })!;
        try
        {
            group.Add(process.Id);
            Assert.Equal(256L << 20, group.Read().MemoryLimitBytes);

            group.Kill();

            await process.WaitForExitAsync().DefaultTimeout();
            Assert.Equal((int)JobObjectGroup.KilledExitCode, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().DefaultTimeout();
            }
        }
    }

    [SkippableFact]
    public async Task DisposeAsync_Group_KillsWhatIsLeftInTheJob()
    {
        Skip.IfNot(OperatingSystem.IsWindows(), "job objects exist only on Windows");
        await using var isolation = JobObjectIsolation.Create(NullLogger.Instance);
        var group = isolation.CreateGroup("sleeper", new WorkerLimits(256L << 20, 16, 1));
        using var process = Process.Start(new ProcessStartInfo("cmd.exe", "/c ping -n 60 127.0.0.1 > nul") { UseShellExecute = false, CreateNoWindow = true })!;
        try
        {
            group.Add(process.Id);

            await group.DisposeAsync();

            await process.WaitForExitAsync().DefaultTimeout();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().DefaultTimeout();
            }
        }
    }

    [SkippableTheory]
    [InlineData(1.0, 4, 2500u)]
    [InlineData(64.0, 2, 10000u)]
    [InlineData(0.0001, 64, 1u)]
    public void CpuRate_Cores_IsTheShareOfAllProcessorsInHundredthsOfAPercent(double cores, int processors, uint expected)
    {
        Skip.IfNot(OperatingSystem.IsWindows(), "JobObjectGroup is Windows-only");

        Assert.Equal(expected, JobObjectGroup.CpuRate(cores, processors));
    }
}

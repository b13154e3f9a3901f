using System.Diagnostics;
using System.Runtime.InteropServices;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.FaultInjection;

/// <summary>Real workers stopped from outside mid-call, as the OS or an operator could.</summary>
public sealed class SignalTests : FaultInjectionTestBase
{
    private const int SigKill = 9;
    private const int SigStop = 19;

    /// <summary>Long enough that the spin is still running when the signal lands, short enough for a quick test.</summary>
    private const string SlowSpin = "memory_limit_mb = 2\ntimeout_ms = 2000\nfuel_limit = 1_000_000_000_000";

    [SkippableFact]
    public async Task InvokeAsync_WorkerSigkilledMidCall_FailsWithWorkerCrashedAndNextCallRunsOnAReplacement()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "signals are sent with kill(2)");
        var supervisor = CreateSupervisor();
        var victim = await supervisor.LoadAsync("victim", Basic, Manifest(resources: SlowSpin)).DefaultTimeout();
        var pid = victim.WorkerPid!.Value;
        var call = supervisor.InvokeAsync("victim", "spin");
        await Task.Delay(200);

        Assert.Equal(0, Kill(pid, SigKill));

        var ex = await Assert.ThrowsAsync<WorkerCrashedException>(() => call).DefaultTimeout();
        Assert.Equal(128 + SigKill, ex.ExitCode);
        await AssertGoneAsync(pid);
        var next = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(2), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(4, next.Values[0].AsI32());
        var replacement = supervisor.ListPlugins().Single().WorkerPid;
        Assert.NotNull(replacement);
        Assert.NotEqual(pid, replacement);
        Assert.Equal(1, supervisor.GetPluginStats("victim").WorkerRestarts);
    }

    [SkippableFact]
    public async Task InvokeAsync_WorkerSigstoppedMidCall_TimesOutKillsItAfterTheGraceAndNextCallSucceeds()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "signals are sent with kill(2)");
        var grace = TimeSpan.FromMilliseconds(200);
        var supervisor = CreateSupervisor(o => o.CallGrace = grace);
        var victim = await supervisor.LoadAsync("victim", Basic, Manifest(resources: SlowSpin)).DefaultTimeout();
        var pid = victim.WorkerPid!.Value;
        var watch = Stopwatch.StartNew();
        var call = supervisor.InvokeAsync("victim", "spin");
        await Task.Delay(200);

        // A stopped worker cannot see its epoch deadline, answer, or exit: only the supervisor's own deadline ends it.
        Assert.Equal(0, Kill(pid, SigStop));

        var ex = await Assert.ThrowsAsync<PluginTimeoutException>(() => call).DefaultTimeout();
        Assert.True(ex.WorkerKilled);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(2000) + grace, TimeSpan.FromSeconds(10));
        await AssertGoneAsync(pid);
        var next = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(3), PluginValue.I32(4)]).DefaultTimeout();
        Assert.Equal(7, next.Values[0].AsI32());
        Assert.NotEqual(pid, supervisor.ListPlugins().Single().WorkerPid);
    }

    // DllImport rather than LibraryImport: the generated stub needs unsafe code, which this project does not allow.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}

using System.Diagnostics;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>Restart policy against real workers: backoff restarts, classification, heartbeats and the crash-loop breaker.</summary>
public sealed class WorkerRestartTests : SupervisorTestBase
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    [Fact]
    public async Task WorkerKilledWhileIdle_ReplacementStartsBeforeNextCall()
    {
        var supervisor = CreateSupervisor(o => o.RestartPolicy.InitialBackoff = TimeSpan.FromMilliseconds(20));
        var first = await supervisor.LoadAsync("victim", Basic, Manifest()).DefaultTimeout();

        KillProcess(first.WorkerPid!.Value);

        var replaced = await WaitForAsync(supervisor, "victim", p => p is { WorkerPid: { } pid, State: PluginState.Ready } && pid != first.WorkerPid);
        Assert.Equal(1, replaced.WorkerRestarts);
        Assert.Equal(WorkerExitReason.Crashed, replaced.LastExitReason);
        Assert.Equal(1, supervisor.GetPluginStats("victim").WorkerCrashes);
        Assert.Equal(WorkerExitReason.Crashed, supervisor.GetPluginStats("victim").LastExitReason);
        var result = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(3, result.Values[0].AsI32());
    }

    [Fact]
    public async Task CrashLoop_QuarantinesUntilReset()
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.RestartPolicy.InitialBackoff = TimeSpan.FromMilliseconds(10);
            o.RestartPolicy.MaxFailures = 3;
        });
        await supervisor.LoadAsync("looper", Basic, Manifest()).DefaultTimeout();
        await supervisor.LoadAsync("bystander", Basic, Manifest()).DefaultTimeout();

        for (var i = 0; i < 3; i++)
        {
            var pid = (await WaitForAsync(supervisor, "looper", p => p is { WorkerPid: not null, State: PluginState.Ready })).WorkerPid!.Value;
            KillProcess(pid);
            await WaitForAsync(supervisor, "looper", p => p.WorkerPid != pid);
        }

        var quarantined = await WaitForAsync(supervisor, "looper", p => p.State == PluginState.Quarantined);
        Assert.Contains("3 worker failures", quarantined.QuarantineReason, StringComparison.Ordinal);
        Assert.Null(quarantined.WorkerPid);
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("looper", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();
        Assert.Equal(ErrorKind.SandboxFailed, ex.Kind);
        Assert.Contains("quarantined", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, supervisor.GetRuntimeStats().QuarantinedPlugins);

        // The bystander never noticed.
        Assert.Equal(4, (await supervisor.InvokeAsync("bystander", "add", [PluginValue.I32(2), PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI32());

        Assert.True(supervisor.ResetQuarantine("looper"));
        Assert.False(supervisor.ResetQuarantine("looper"));
        var after = await supervisor.InvokeAsync("looper", "add", [PluginValue.I32(5), PluginValue.I32(5)]).DefaultTimeout();
        Assert.Equal(10, after.Values[0].AsI32());
        Assert.Equal(PluginState.Ready, supervisor.ListPlugins().Single(p => p.Id == "looper").State);
        Assert.Equal(0, supervisor.GetRuntimeStats().QuarantinedPlugins);
    }

    [Fact]
    public async Task HotReload_QuarantinedPlugin_LiftsQuarantine()
    {
        var supervisor = CreateSupervisor(o => o.RestartPolicy.MaxFailures = 1);
        var info = await supervisor.LoadAsync("p", Basic, Manifest()).DefaultTimeout();
        KillProcess(info.WorkerPid!.Value);
        await WaitForAsync(supervisor, "p", p => p.State == PluginState.Quarantined);

        var reloaded = await supervisor.HotReloadAsync("p", Basic, Manifest()).DefaultTimeout();

        Assert.Equal(PluginState.Ready, reloaded.State);
        Assert.Null(reloaded.QuarantineReason);
        Assert.Equal(7, (await supervisor.InvokeAsync("p", "add", [PluginValue.I32(3), PluginValue.I32(4)]).DefaultTimeout()).Values[0].AsI32());
    }

    [SkippableFact]
    public async Task StoppedIdleWorker_MissesHeartbeat_IsKilledAndReplaced()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "SIGSTOP is a Unix signal");
        var supervisor = CreateSupervisor(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            o.HeartbeatTimeout = TimeSpan.FromMilliseconds(300);
            o.RestartPolicy.InitialBackoff = TimeSpan.Zero;
        });
        var info = await supervisor.LoadAsync("sleepy", Basic, Manifest()).DefaultTimeout();
        var pid = info.WorkerPid!.Value;

        await SignalAsync(pid, "STOP");

        var replaced = await WaitForAsync(supervisor, "sleepy", i => i is { WorkerPid: { } p, State: PluginState.Ready } && p != pid);
        Assert.Equal(WorkerExitReason.Unresponsive, replaced.LastExitReason);
        Assert.False(ProcessState.IsRunning(pid), $"worker {pid} is still there");
        Assert.Contains(Logs.Entries, e => e.EventId.Name == "HeartbeatMissed");
        Assert.Equal(2, (await supervisor.InvokeAsync("sleepy", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout()).Values[0].AsI32());
    }

    [SkippableFact]
    public async Task StoppedWorkerMidCall_TimesOutAtDeadlineAndIsKilled()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "SIGSTOP is a Unix signal");
        var supervisor = CreateSupervisor(o =>
        {
            o.CallGrace = TimeSpan.FromMilliseconds(200);
            o.HeartbeatInterval = TimeSpan.FromMinutes(5);
        });
        var info = await supervisor.LoadAsync("frozen", Basic, Manifest(resources: "memory_limit_mb = 2\ntimeout_ms = 1000\nfuel_limit = 1_000_000_000_000")).DefaultTimeout();
        var pid = info.WorkerPid!.Value;
        var call = supervisor.InvokeAsync("frozen", "spin");
        await Task.Delay(100);
        await SignalAsync(pid, "STOP");
        var started = Stopwatch.GetTimestamp();

        var ex = await Assert.ThrowsAsync<PluginTimeoutException>(() => call).DefaultTimeout();

        Assert.True(ex.WorkerKilled);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
        Assert.False(ProcessState.IsRunning(pid), $"worker {pid} is still there");
        var after = await WaitForAsync(supervisor, "frozen", p => p.LastExitReason == WorkerExitReason.TimedOut);
        Assert.Equal(WorkerExitReason.TimedOut, after.LastExitReason);
        Assert.Equal(9, (await supervisor.InvokeAsync("frozen", "add", [PluginValue.I32(4), PluginValue.I32(5)]).DefaultTimeout()).Values[0].AsI32());
    }

    private static void KillProcess(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }


    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false })!;
        await kill.WaitForExitAsync().DefaultTimeout();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task<PluginInfo> WaitForAsync(PluginSupervisor supervisor, string id, Func<PluginInfo, bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(TestTimeouts.Unexpected.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var info = supervisor.ListPlugins().Single(p => p.Id == id);
            if (condition(info))
            {
                return info;
            }

            Assert.True(Stopwatch.GetTimestamp() < deadline, $"plugin {id} did not reach the expected state in time; last: {info}");
            await Task.Delay(20);
        }
    }
}

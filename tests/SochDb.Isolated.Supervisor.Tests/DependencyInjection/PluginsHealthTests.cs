using Microsoft.Extensions.Diagnostics.HealthChecks;
using SochDb.Isolated.Supervisor.DependencyInjection;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.DependencyInjection;

public sealed class PluginsHealthTests
{
    private static readonly IsolatedPluginsHealthOptions Thresholds = new() { CrashThreshold = 3, CrashWindow = TimeSpan.FromMinutes(1) };
    private static readonly Dictionary<string, string> NoFailures = new(StringComparer.Ordinal);

    [Fact]
    public void AllServing_FullIsolation_Healthy()
    {
        var verdict = Evaluate(Snapshot(plugins: [Plugin("a"), Plugin("b", PluginState.Executing)]));

        Assert.Equal(HealthStatus.Healthy, verdict.Status);
        Assert.Equal("2 plugins serving (CgroupV2 isolation)", verdict.Description);
        Assert.Equal("CgroupV2", verdict.Data["isolationMode"]);
        Assert.Equal(2, verdict.Data["plugins"]);
    }

    [Theory]
    [InlineData(IsolatedPluginsPhase.Starting, "starting")]
    [InlineData(IsolatedPluginsPhase.Stopping, "stopping")]
    [InlineData(IsolatedPluginsPhase.Stopped, "stopped")]
    [InlineData(IsolatedPluginsPhase.Failed, "start failed")]
    public void NotReady_Unhealthy(IsolatedPluginsPhase phase, string expected)
    {
        var verdict = Evaluate(Snapshot(phase, plugins: [Plugin("a")]));

        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Contains(expected, verdict.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Quarantined_UnhealthyNamingIt()
    {
        var verdict = Evaluate(Snapshot(plugins: [Plugin("a"), Plugin("q", PluginState.Quarantined), Plugin("r", PluginState.Quarantined)]));

        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("quarantined (calls fail until reset): q, r", verdict.Description);
        Assert.Equal("q,r", verdict.Data["quarantined"]);
    }

    [Fact]
    public void EveryWorkerDown_Unhealthy_SomeDown_Degraded()
    {
        Assert.Equal(HealthStatus.Unhealthy, Evaluate(Snapshot(plugins: [Plugin("a", PluginState.Crashed)])).Status);
        var some = Evaluate(Snapshot(plugins: [Plugin("a", PluginState.Crashed), Plugin("b")]));
        Assert.Equal(HealthStatus.Degraded, some.Status);
        Assert.Equal("worker down, restart pending: a", some.Description);
    }

    [Theory]
    [InlineData(2, HealthStatus.Healthy)]
    [InlineData(3, HealthStatus.Degraded)]
    [InlineData(100, HealthStatus.Degraded)]
    public void CrashesInWindow_DegradedFromTheThreshold(long crashes, HealthStatus expected)
    {
        var verdict = Evaluate(Snapshot(plugins: [Plugin("a")], crashes: crashes));

        Assert.Equal(expected, verdict.Status);
        Assert.Equal(crashes, verdict.Data["crashesInWindow"]);
        if (expected == HealthStatus.Degraded)
        {
            Assert.Equal($"{crashes} worker crashes in the last 60 s (threshold 3)", verdict.Description);
        }
    }

    [Fact]
    public void WatchdogOnly_Degraded()
    {
        var verdict = Evaluate(Snapshot(plugins: [Plugin("a")], mode: IsolationMode.Watchdog));

        Assert.Equal(HealthStatus.Degraded, verdict.Status);
        Assert.Contains("watchdog", verdict.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedLoads_DegradedNamingThem_AndReasonsCombine()
    {
        var failed = new Dictionary<string, string>(StringComparer.Ordinal) { ["z"] = "bad", ["m"] = "worse" };

        var verdict = Evaluate(Snapshot(plugins: [Plugin("a")], failed: failed, mode: IsolationMode.Watchdog));

        Assert.Equal(HealthStatus.Degraded, verdict.Status);
        Assert.StartsWith("failed to load: m, z; only the watchdog", verdict.Description, StringComparison.Ordinal);
        Assert.Equal("m,z", verdict.Data["failedToLoad"]);
    }

    [Fact]
    public void Quarantine_WinsOverDegradedReasons()
    {
        var verdict = Evaluate(Snapshot(plugins: [Plugin("q", PluginState.Quarantined)], crashes: 10, mode: IsolationMode.Watchdog));

        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
    }

    [Fact]
    public void NoPlugins_Ready_Healthy()
    {
        Assert.Equal(HealthStatus.Healthy, Evaluate(Snapshot(plugins: [])).Status);
    }

    private static PluginsHealthVerdict Evaluate(PluginsHealthSnapshot snapshot) => PluginsHealth.Evaluate(snapshot, Thresholds);

    private static PluginsHealthSnapshot Snapshot(
        IsolatedPluginsPhase phase = IsolatedPluginsPhase.Ready,
        IReadOnlyList<PluginInfo>? plugins = null,
        IReadOnlyDictionary<string, string>? failed = null,
        long crashes = 0,
        IsolationMode mode = IsolationMode.CgroupV2)
        => new(phase, mode, plugins ?? [], failed ?? NoFailures, crashes, crashes, crashes);

    private static PluginInfo Plugin(string id, PluginState state = PluginState.Ready)
        => new(id, id, "1.0.0", state, 1, state is PluginState.Ready or PluginState.Executing ? 42 : null, 0, 0, TimeSpan.Zero);
}

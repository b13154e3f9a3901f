using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.IntegrationTests.Diagnostics;
using SochDb.Isolated.Supervisor.DependencyInjection;
using SochDb.Isolated.Supervisor.Diagnostics;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Hosting;

/// <summary>The Generic Host integration against real workers: configuration, readiness, health, drain and stop.</summary>
public sealed class GenericHostTests : IAsyncLifetime
{
    private const string Resources = SupervisorTestBase.DefaultResources;
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("sochdb-host-");
    private readonly List<IHost> hosts = [];

    internal CapturingLoggerProvider Logs { get; } = new();

    public Task InitializeAsync()
    {
        // plugins/alpha.toml (found in the plugin folder) and beta/manifest.toml (declared in the list).
        var plugins = Directory.CreateDirectory(Path.Combine(root.FullName, "plugins"));
        File.Copy(Fixtures.WatPath("basic"), Path.Combine(plugins.FullName, "basic.wat"));
        File.WriteAllText(Path.Combine(plugins.FullName, "alpha.toml"), Manifest("alpha"));
        var beta = Directory.CreateDirectory(Path.Combine(root.FullName, "beta"));
        File.Copy(Fixtures.WatPath("basic"), Path.Combine(beta.FullName, "basic.wat"));
        File.WriteAllText(Path.Combine(beta.FullName, "manifest.toml"), Manifest("beta"));
        File.WriteAllText(Path.Combine(root.FullName, "broken.toml"), "[plugin]\nname = 42\n");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var host in hosts)
        {
            using var cts = new CancellationTokenSource(TestTimeouts.Unexpected);
            try
            {
                await host.StopAsync(cts.Token);
            }
            catch (Exception)
            {
                // Already stopped, or its start failed.
            }

            if (host is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }

        root.Delete(recursive: true);
    }

    [Fact]
    public async Task Host_LoadsFromConfiguration_ServesCalls_TracksQuarantineInHealth_StopsWithinBudget()
    {
        var host = BuildHost(new()
        {
            ["SochDbIsolated:PluginsDirectory"] = "plugins",
            ["SochDbIsolated:Plugins:0:Id"] = "beta",
            ["SochDbIsolated:Plugins:0:Manifest"] = "beta/manifest.toml",
            ["SochDbIsolated:RestartPolicy:MaxFailures"] = "1",
            ["SochDbIsolated:RestartPolicy:InitialBackoff"] = "00:00:00.020",
            ["SochDbIsolated:CallGrace"] = "00:00:05",
            ["SochDbIsolated:WorkerLogLevel"] = "Debug",
        });
        var readiness = host.Services.GetRequiredService<IsolatedPluginsReadiness>();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        // The supervisor's meter comes from the host's factory: this listener sees this host's instruments only.
        using var metrics = new MetricsCollector(host.Services.GetRequiredService<IMeterFactory>());

        var before = await health.CheckHealthAsync().DefaultTimeout();
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Contains("starting", before.Entries[IsolatedPluginsHealthChecksBuilderExtensions.DefaultName].Description, StringComparison.Ordinal);
        Assert.False(readiness.IsReady);

        await host.StartAsync().DefaultTimeout();
        await readiness.WhenReady.DefaultTimeout();
        Assert.True(readiness.IsReady);
        Assert.Equal(["beta", "alpha"], readiness.LoadedPlugins);

        var supervisor = host.Services.GetRequiredService<PluginSupervisor>();
        var options = host.Services.GetRequiredService<IOptions<IsolatedPluginsOptions>>().Value;
        Assert.Equal(1, options.Supervisor.RestartPolicy.MaxFailures);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Supervisor.CallGrace);
        Assert.Equal(LogLevel.Debug, options.Supervisor.WorkerLogLevel);
        Assert.Equal(3, (await supervisor.InvokeAsync("alpha", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(7, (await supervisor.InvokeAsync("beta", "add", [PluginValue.I32(3), PluginValue.I32(4)]).DefaultTimeout()).Values[0].AsI32());

        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", IsolatedPluginsTelemetry.PluginIdTag, "alpha", IsolatedPluginsTelemetry.FunctionTag, "add", IsolatedPluginsTelemetry.OutcomeTag, "ok"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", IsolatedPluginsTelemetry.PluginIdTag, "beta", IsolatedPluginsTelemetry.FunctionTag, "add", IsolatedPluginsTelemetry.OutcomeTag, "ok"));
        Assert.Equal(2, metrics.Count("sochdb.isolated.call.duration"));
        Assert.Equal(2, metrics.Sum("sochdb.isolated.worker.starts"));
        Assert.Contains(metrics.Observe(), m => m.Instrument == "sochdb.isolated.plugins" && Equals(m.Tags["sochdb.plugin.state"], "running") && m.Value == 2);

        var expected = supervisor.GetRuntimeStats().IsolationMode == IsolationMode.Watchdog ? HealthStatus.Degraded : HealthStatus.Healthy;
        var serving = await health.CheckHealthAsync().DefaultTimeout();
        Assert.Equal(expected, serving.Status);

        // One crash quarantines (MaxFailures = 1): calls fail, so the host is unhealthy.
        var alphaPid = supervisor.ListPlugins().Single(p => p.Id == "alpha").WorkerPid!.Value;
        using (var victim = Process.GetProcessById(alphaPid))
        {
            victim.Kill();
        }

        await Eventually.WaitForAsync(() => supervisor.ListPlugins().Single(p => p.Id == "alpha").State == PluginState.Quarantined, "alpha quarantined");
        var quarantined = await health.CheckHealthAsync().DefaultTimeout();
        var entry = quarantined.Entries[IsolatedPluginsHealthChecksBuilderExtensions.DefaultName];
        Assert.Equal(HealthStatus.Unhealthy, quarantined.Status);
        Assert.Contains("alpha", entry.Description, StringComparison.Ordinal);
        Assert.Equal("alpha", entry.Data["quarantined"]);
        Assert.Equal(1, metrics.Sum("sochdb.isolated.quarantines", IsolatedPluginsTelemetry.PluginIdTag, "alpha"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.worker.crashes", IsolatedPluginsTelemetry.PluginIdTag, "alpha"));
        Assert.Contains(metrics.Observe(), m => m.Instrument == "sochdb.isolated.plugins" && Equals(m.Tags["sochdb.plugin.state"], "quarantined") && m.Value == 1);

        Assert.True(supervisor.ResetQuarantine("alpha"));
        Assert.Equal(5, (await supervisor.InvokeAsync("alpha", "add", [PluginValue.I32(2), PluginValue.I32(3)]).DefaultTimeout()).Values[0].AsI32());
        var recovered = await health.CheckHealthAsync().DefaultTimeout();
        Assert.Equal(expected, recovered.Status);
        Assert.Equal(1L, recovered.Entries[IsolatedPluginsHealthChecksBuilderExtensions.DefaultName].Data["crashesInWindow"]);

        var pids = supervisor.ListPlugins().Select(p => p.WorkerPid!.Value).ToArray();
        Assert.Equal(2, pids.Length);
        var stopwatch = Stopwatch.StartNew();
        using (var budget = new CancellationTokenSource(TestTimeouts.Unexpected))
        {
            await host.StopAsync(budget.Token).DefaultTimeout();
        }

        Assert.True(stopwatch.Elapsed < ShutdownTimeout + TimeSpan.FromSeconds(2), $"stop took {stopwatch.Elapsed}");
        Assert.Equal(IsolatedPluginsPhase.Stopped, readiness.Phase);
        Assert.False(readiness.IsReady);
        Assert.Empty(supervisor.ListPlugins());
        await Eventually.WaitForAsync(() => pids.All(pid => !ProcessState.IsRunning(pid)), "every worker gone");
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync().DefaultTimeout()).Status);
    }

    [Fact]
    public async Task Stop_CallStillRunning_DrainsUntilBudgetThenKillsWorker()
    {
        File.Copy(Fixtures.WatPath("basic"), Path.Combine(root.FullName, "basic.wat"));
        File.WriteAllText(Path.Combine(root.FullName, "slow.toml"), Manifest("slow", "memory_limit_mb = 2\ntimeout_ms = 20000\nfuel_limit = 1_000_000_000_000"));
        var host = BuildHost(new()
        {
            ["SochDbIsolated:Plugins:0:Id"] = "slow",
            ["SochDbIsolated:Plugins:0:Manifest"] = "slow.toml",
        });
        await host.StartAsync().DefaultTimeout();
        var supervisor = host.Services.GetRequiredService<PluginSupervisor>();
        var pid = supervisor.ListPlugins().Single().WorkerPid!.Value;
        var call = supervisor.InvokeAsync("slow", "spin", []);
        await Eventually.WaitForAsync(() => supervisor.ListPlugins().Single().State == PluginState.Executing, "the call running");

        var stopwatch = Stopwatch.StartNew();
        await host.StopAsync().DefaultTimeout();

        // The host's ShutdownTimeout (3 s) bounds the drain; the 20 s call is cut off with its worker. (No lower bound:
        // under a loaded machine the call has been seen to end earlier, e.g. its worker killed by its OS limits.)
        Assert.True(stopwatch.Elapsed < ShutdownTimeout + TimeSpan.FromSeconds(2), $"stop took {stopwatch.Elapsed}");
        await Assert.ThrowsAnyAsync<PluginException>(() => call).DefaultTimeout();
        await Eventually.WaitForAsync(() => !ProcessState.IsRunning(pid), "the worker gone");
    }

    [Theory]
    [InlineData("SochDbIsolated:MaxSandboxes", "0", "SochDbIsolated:MaxSandboxes")]
    [InlineData("SochDbIsolated:RestartPolicy:MaxFailures", "0", "SochDbIsolated:RestartPolicy:MaxFailures")]
    [InlineData("SochDbIsolated:RestartPolicy:MaxFailurs", "2", "SochDbIsolated:RestartPolicy:MaxFailurs: unknown option")]
    [InlineData("SochDbIsolated:Health:CrashWindow", "00:00:00.100", "SochDbIsolated:Health:CrashWindow")]
    [InlineData("SochDbIsolated:Plugins:0:Manifest", "missing.toml", "SochDbIsolated:Plugins:0:Manifest: file not found")]
    [InlineData("SochDbIsolated:Plugins:0:Id", "bad id", "SochDbIsolated:Plugins:0:Id: 'bad id' is not a valid plugin id")]
    public async Task Start_InvalidConfiguration_ThrowsOptionsValidationExceptionNamingTheKey(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SochDbIsolated:Plugins:0:Id"] = "beta",
            ["SochDbIsolated:Plugins:0:Manifest"] = "beta/manifest.toml",
        };
        settings[key] = value;
        var host = BuildHost(settings);

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync()).DefaultTimeout();

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(host.Services.GetRequiredService<IsolatedPluginsReadiness>().IsReady);
    }

    [Fact]
    public async Task Start_BrokenManifest_FailOnPluginLoadError_ThrowsNamingItAndUnloadsTheRest()
    {
        var host = BuildHost(new()
        {
            ["SochDbIsolated:PluginsDirectory"] = "plugins",
            ["SochDbIsolated:Plugins:0:Id"] = "broken",
            ["SochDbIsolated:Plugins:0:Manifest"] = "broken.toml",
        });
        var readiness = host.Services.GetRequiredService<IsolatedPluginsReadiness>();

        var ex = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync()).DefaultTimeout();

        Assert.Contains("'broken'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1 of 2 declared plugins failed to load", ex.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidManifestException>(Assert.Single(ex.InnerExceptions));
        Assert.Equal(IsolatedPluginsPhase.Failed, readiness.Phase);
        await Assert.ThrowsAsync<AggregateException>(() => readiness.WhenReady).DefaultTimeout();
        Assert.Empty(host.Services.GetRequiredService<PluginSupervisor>().ListPlugins());
    }

    [Fact]
    public async Task Start_BrokenManifest_NoFailOnPluginLoadError_StartsDegradedNamingIt()
    {
        var host = BuildHost(new()
        {
            ["SochDbIsolated:PluginsDirectory"] = "plugins",
            ["SochDbIsolated:Plugins:0:Id"] = "broken",
            ["SochDbIsolated:Plugins:0:Manifest"] = "broken.toml",
            ["SochDbIsolated:FailOnPluginLoadError"] = "false",
        });
        var readiness = host.Services.GetRequiredService<IsolatedPluginsReadiness>();

        await host.StartAsync().DefaultTimeout();

        Assert.True(readiness.IsReady);
        Assert.Equal(["alpha"], readiness.LoadedPlugins);
        Assert.Contains("broken", readiness.FailedPlugins.Keys);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().DefaultTimeout();
        var entry = report.Entries[IsolatedPluginsHealthChecksBuilderExtensions.DefaultName];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("failed to load: broken", entry.Description, StringComparison.Ordinal);
        Assert.Equal("broken", entry.Data["failedToLoad"]);
        var supervisor = host.Services.GetRequiredService<PluginSupervisor>();
        Assert.Equal(9, (await supervisor.InvokeAsync("alpha", "add", [PluginValue.I32(4), PluginValue.I32(5)]).DefaultTimeout()).Values[0].AsI32());
    }

    [Fact]
    public async Task Start_Canceled_FailsReadinessAndLeavesNoPluginLoaded()
    {
        var host = BuildHost(new()
        {
            ["SochDbIsolated:PluginsDirectory"] = "plugins",
            ["SochDbIsolated:Plugins:0:Id"] = "beta",
            ["SochDbIsolated:Plugins:0:Manifest"] = "beta/manifest.toml",
        });
        var service = host.Services.GetServices<IHostedService>().Single(s => s.GetType().Name == "IsolatedPluginsHostedService");
        var readiness = host.Services.GetRequiredService<IsolatedPluginsReadiness>();
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => service.StartAsync(canceled.Token)).DefaultTimeout();

        Assert.Equal(IsolatedPluginsPhase.Failed, readiness.Phase);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => readiness.WhenReady).DefaultTimeout();
        Assert.Empty(host.Services.GetRequiredService<PluginSupervisor>().ListPlugins());
    }

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(3);

    private static string Manifest(string name, string resources = Resources) => $"""
        [plugin]
        name = "{name}"
        version = "1.0.0"
        wasm = "basic.wat"

        [resources]
        {resources}
        """;

    private IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = root.FullName });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Debug).AddProvider(Logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddIsolatedPlugins();
        builder.Services.AddHealthChecks().AddIsolatedPluginsHealthCheck();
        var host = builder.Build();
        hosts.Add(host);
        return host;
    }
}

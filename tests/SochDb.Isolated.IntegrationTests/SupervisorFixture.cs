using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>Builds supervisors whose workers are all stopped when the test ends.</summary>
public abstract class SupervisorTestBase : IAsyncLifetime
{
    private readonly List<PluginSupervisor> supervisors = [];
    private readonly List<ILoggerFactory> factories = [];

    internal CapturingLoggerProvider Logs { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var supervisor in supervisors)
        {
            await supervisor.DisposeAsync();
        }

        factories.ForEach(f => f.Dispose());
    }

    /// <summary>The default resources: 2 MiB, 200 ms, 10 M fuel.</summary>
    internal const string DefaultResources = "memory_limit_mb = 2\ntimeout_ms = 200\nfuel_limit = 10_000_000";

    /// <summary>Resources for plugins that must spin until their deadline rather than run out of fuel.</summary>
    internal const string SpinResources = "memory_limit_mb = 2\ntimeout_ms = 200\nfuel_limit = 1_000_000_000_000";

    internal static PluginManifest Manifest(string extra = "", string name = "test-plugin", string resources = DefaultResources)
    {
        var text = $"""
            [plugin]
            name = "{name}"
            version = "1.0.0"

            [resources]
            {resources}

            {extra}
            """;
        var result = ManifestParser.Parse(text);
        Assert.True(result.Success, string.Join("; ", result.Diagnostics));
        return result.Manifest!;
    }

    internal PluginSupervisor CreateSupervisor(Action<PluginSupervisorOptions>? configure = null, SochDb.Isolated.Supervisor.Hosting.IHostContext? hostContext = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
    {
        // SOCHDB_TEST_WORKER runs the whole suite against another worker build (the Native AOT one, say); a test that
        // sets its own WorkerPath still wins.
        var options = new PluginSupervisorOptions { WorkerLogLevel = LogLevel.Debug, CallGrace = TimeSpan.FromSeconds(5), WorkerPath = Environment.GetEnvironmentVariable("SOCHDB_TEST_WORKER") is { Length: > 0 } worker ? worker : null };
        configure?.Invoke(options);
        var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        factories.Add(factory);
        var supervisor = new PluginSupervisor(options, factory, hostContext, meterFactory);
        supervisors.Add(supervisor);
        return supervisor;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Supervisor.DependencyInjection;

namespace SochDb.Isolated.Supervisor.Tests.DependencyInjection;

/// <summary>Which configuration <c>AddIsolatedPlugins</c> binds.</summary>
public sealed class AddIsolatedPluginsTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["PATH"] = "/usr/bin",
        ["Logging:LogLevel:Default"] = "Warning",
        ["SochDbIsolated:MaxInstancesPerPlugin"] = "2",
        ["SochDbIsolated:Plugins:0:Id"] = "p",
        ["SochDbIsolated:Plugins:0:Manifest"] = "p.toml",
    };

    [Fact]
    public void AddIsolatedPlugins_WholeConfiguration_BindsOnlyItsSochDbIsolatedSection()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();

        var options = Resolve(services => services.AddIsolatedPlugins(configuration));

        Assert.Equal(2, options.Supervisor.MaxInstancesPerPlugin);
        Assert.Equal("p", Assert.Single(options.Plugins).Id);
        Assert.Empty(options.UnknownConfigurationKeys);
    }

    [Fact]
    public void AddIsolatedPlugins_Section_BindsIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();

        var options = Resolve(services => services.AddIsolatedPlugins(configuration.GetSection("SochDbIsolated")));

        Assert.Equal(2, options.Supervisor.MaxInstancesPerPlugin);
        Assert.Empty(options.UnknownConfigurationKeys);
    }

    [Fact]
    public void AddIsolatedPlugins_WrongSection_ReportsItsKeysAsUnknown()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();

        var options = Resolve(services => services.AddIsolatedPlugins(configuration.GetSection("Logging")));

        Assert.Contains(options.UnknownConfigurationKeys, k => k.Contains("LogLevel", StringComparison.Ordinal));
    }

    private static IsolatedPluginsOptions Resolve(Action<IServiceCollection> add)
    {
        var services = new ServiceCollection();
        add(services);
        using var provider = services.BuildServiceProvider();

        // Resolving the options would run the validators too (the manifest file does not exist): these tests look at
        // the binding alone.
        var configured = new IsolatedPluginsOptions();
        foreach (var setup in provider.GetServices<IConfigureOptions<IsolatedPluginsOptions>>())
        {
            setup.Configure(configured);
        }

        return configured;
    }
}

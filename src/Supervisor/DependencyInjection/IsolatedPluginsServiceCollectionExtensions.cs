using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.DependencyInjection;
using SochDb.Isolated.Supervisor.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the isolated-plugin supervisor in a Generic Host. See <c>docs/operations.md</c>.</summary>
public static class IsolatedPluginsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the plugin supervisor to a host: <see cref="PluginSupervisor"/> as a singleton (disposed by the container,
    /// which must be disposed asynchronously, as the Generic Host does), <see cref="IsolatedPluginsReadiness"/>, and a
    /// hosted service that loads the declared plugins at start and drains and unloads them at stop, within
    /// <c>HostOptions.ShutdownTimeout</c>. <see cref="IsolatedPluginsOptions"/> is validated when the host starts
    /// (<c>ValidateOnStart</c>): a bad value fails the start with an <see cref="OptionsValidationException"/> naming
    /// its configuration key. An <see cref="IHostContext"/> registered in the container, if any, is the plugins' store.
    /// Calling it again adds nothing but another <paramref name="configure"/> and binding.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">
    /// The configuration section to bind (e.g. <c>builder.Configuration.GetSection("SochDbIsolated")</c>); given a whole
    /// configuration (an <see cref="IConfigurationRoot"/> such as <c>builder.Configuration</c>), its
    /// <c>SochDbIsolated</c> section. Default: the <c>SochDbIsolated</c> section of the container's
    /// <see cref="IConfiguration"/>, if there is one. Keys that match no option fail validation.
    /// </param>
    /// <param name="configure">
    /// Sets options in code. Runs before the configuration is bound, so code gives the defaults and configuration
    /// overrides them (plugins declared in both are all loaded); to override configuration, use
    /// <c>services.PostConfigure&lt;IsolatedPluginsOptions&gt;(...)</c>.
    /// </param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddIsolatedPlugins(this IServiceCollection services, IConfiguration? configuration = null, Action<IsolatedPluginsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<IsolatedPluginsOptions>()
            .Configure<IServiceProvider>((options, provider) =>
            {
                configure?.Invoke(options);
                // A whole configuration holds environment variables, logging and the app's own sections: only ours is bound.
                var section = configuration is IConfigurationRoot root
                    ? root.GetSection(IsolatedPluginsOptions.SectionName)
                    : configuration ?? provider.GetService<IConfiguration>()?.GetSection(IsolatedPluginsOptions.SectionName);
                if (section is null)
                {
                    return;
                }

                section.Bind(options);
                section.Bind(options.Supervisor);
                ConfigurationKeys.FindUnknown(section, [typeof(IsolatedPluginsOptions), typeof(PluginSupervisorOptions)], options.UnknownConfigurationKeys);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IsolatedPluginsOptions>, IsolatedPluginsOptionsValidator>());
        services.TryAddSingleton(provider => new PluginSupervisor(
            provider.GetRequiredService<IOptions<IsolatedPluginsOptions>>().Value.Supervisor,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IHostContext>(),
            provider.GetService<IMeterFactory>()));
        services.TryAddSingleton(_ => new IsolatedPluginsReadiness());
        services.TryAddSingleton(provider =>
        {
            var supervisor = provider.GetRequiredService<PluginSupervisor>();
            return new CrashRateTracker(
                () => supervisor.GetRuntimeStats().WorkerCrashes,
                provider.GetRequiredService<IOptions<IsolatedPluginsOptions>>().Value.Health.CrashWindow,
                provider.GetService<TimeProvider>() ?? TimeProvider.System);
        });
        services.TryAddSingleton<IsolatedPluginsHealthCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, IsolatedPluginsHostedService>());
        return services;
    }
}

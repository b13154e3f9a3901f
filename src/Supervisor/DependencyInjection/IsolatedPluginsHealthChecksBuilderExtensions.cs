using Microsoft.Extensions.Diagnostics.HealthChecks;
using SochDb.Isolated.Supervisor.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the isolated plugins' health check. See <c>docs/operations.md</c>.</summary>
public static class IsolatedPluginsHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check.</summary>
    public const string DefaultName = "sochdb-isolated";

    /// <summary>
    /// Adds the plugins' health check (needs <c>AddIsolatedPlugins</c>): Unhealthy while the plugins are starting or
    /// stopping, after a failed start, when a plugin is quarantined or when every plugin's worker is down; Degraded
    /// when a declared plugin failed to load, when worker crashes within <see cref="IsolatedPluginsHealthOptions.CrashWindow"/>
    /// reach <see cref="IsolatedPluginsHealthOptions.CrashThreshold"/>, when a worker awaits its restart, or when the
    /// isolation in force is the watchdog alone; Healthy otherwise. The result's data carries the counts, the isolation
    /// mode and the ids concerned.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name (default <see cref="DefaultName"/>).</param>
    /// <param name="failureStatus">The status reported instead of Unhealthy (default Unhealthy).</param>
    /// <param name="tags">The check's tags, e.g. <c>"ready"</c> for a readiness endpoint.</param>
    /// <param name="timeout">The check's timeout (default none; the check does not block).</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddIsolatedPluginsHealthCheck(
        this IHealthChecksBuilder builder,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => provider.GetService<IsolatedPluginsHealthCheck>()
                ?? throw new InvalidOperationException("The isolated plugins' health check needs services.AddIsolatedPlugins(...)."),
            failureStatus,
            tags,
            timeout));
    }
}

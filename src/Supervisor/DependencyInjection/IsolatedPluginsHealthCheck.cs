using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>The plugins' health check: <see cref="PluginsHealth.Evaluate"/> over the supervisor's state. Unhealthy becomes the registration's failure status.</summary>
/// <param name="supervisor">The supervisor.</param>
/// <param name="readiness">The readiness.</param>
/// <param name="tracker">The crash counter.</param>
/// <param name="options">The options.</param>
internal sealed class IsolatedPluginsHealthCheck(
    PluginSupervisor supervisor,
    IsolatedPluginsReadiness readiness,
    CrashRateTracker tracker,
    IOptions<IsolatedPluginsOptions> options) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var phase = readiness.Phase;
        var stats = supervisor.GetRuntimeStats();
        var snapshot = new PluginsHealthSnapshot(
            phase,
            stats.IsolationMode,
            supervisor.ListPlugins(),
            readiness.FailedPlugins,
            tracker.CrashesInWindow(),
            stats.WorkerCrashes,
            stats.WorkerRestarts);
        var verdict = PluginsHealth.Evaluate(snapshot, options.Value.Health);
        var status = verdict.Status == HealthStatus.Unhealthy ? context.Registration.FailureStatus : verdict.Status;
        return Task.FromResult(new HealthCheckResult(status, verdict.Description, data: verdict.Data));
    }
}

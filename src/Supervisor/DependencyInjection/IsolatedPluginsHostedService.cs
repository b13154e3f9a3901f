using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>
/// Loads the declared plugins when the host starts and marks them ready; when the host stops, marks them not ready
/// (<see cref="StoppingAsync"/>), then unloads them in reverse declaration order, letting running calls finish until
/// the host's shutdown token fires (its workers are killed from then on), and shuts the supervisor down.
/// </summary>
/// <param name="supervisor">The supervisor.</param>
/// <param name="options">The options.</param>
/// <param name="readiness">The readiness it reports to.</param>
/// <param name="tracker">The crash counter, sampled while ready.</param>
/// <param name="logger">The logger.</param>
/// <param name="environment">The host's environment, for the content root.</param>
internal sealed class IsolatedPluginsHostedService(
    PluginSupervisor supervisor,
    IOptions<IsolatedPluginsOptions> options,
    IsolatedPluginsReadiness readiness,
    CrashRateTracker tracker,
    ILogger<IsolatedPluginsHostedService> logger,
    IHostEnvironment? environment = null) : IHostedLifecycleService
{
    /// <summary>How long unloading may take after a failed start, when no call can be running.</summary>
    private static readonly TimeSpan AbortBudget = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var basePath = new IsolatedPluginsOptionsValidator(environment).BasePath;
        var (plugins, errors) = PluginCatalog.Resolve(settings, basePath);
        if (errors.Count > 0)
        {
            // Validated at start; the plugin folder changed since.
            var error = new InvalidOperationException("The declared plugins changed since validation: " + string.Join(" ", errors));
            readiness.MarkFailed(error);
            throw error;
        }

        var started = Stopwatch.GetTimestamp();
        HostingLog.PluginsStarting(logger, plugins.Count, settings.MaxConcurrentLoads);
        var loaded = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var failures = new ConcurrentDictionary<string, Exception>(StringComparer.Ordinal);
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrentLoads, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(plugins, parallel, async (plugin, token) =>
            {
                try
                {
                    await supervisor.LoadFromManifestAsync(plugin.Id, plugin.ManifestPath, plugin.WasmPath, token).ConfigureAwait(false);
                    loaded[plugin.Id] = true;
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    HostingLog.DeclaredPluginFailed(logger, plugin.Id, plugin.ManifestPath, ex);
                    failures[plugin.Id] = ex;
                }
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            await AbortAsync("the start was canceled", plugins, loaded, ex).ConfigureAwait(false);
            throw;
        }

        if (!failures.IsEmpty && settings.FailOnPluginLoadError)
        {
            var ordered = plugins.Where(p => failures.ContainsKey(p.Id)).ToArray();
            var message = $"{ordered.Length} of {plugins.Count} declared plugins failed to load: "
                + string.Join("; ", ordered.Select(p => $"'{p.Id}' ({p.Source}): {failures[p.Id].Message}"));
            var error = new AggregateException(message, ordered.Select(p => failures[p.Id]));
            await AbortAsync($"{ordered.Length} declared plugins failed to load", plugins, loaded, error).ConfigureAwait(false);
            throw error;
        }

        var loadedIds = plugins.Where(p => loaded.ContainsKey(p.Id)).Select(p => p.Id).ToArray();
        var failed = plugins.Where(p => failures.ContainsKey(p.Id)).ToDictionary(p => p.Id, p => failures[p.Id].Message, StringComparer.Ordinal);
        tracker.Start();
        readiness.MarkReady(loadedIds, failed);
        HostingLog.PluginsReady(logger, loadedIds.Length, failed.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (readiness.Phase == IsolatedPluginsPhase.Ready)
        {
            readiness.MarkStopping();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (readiness.Phase is IsolatedPluginsPhase.Ready)
        {
            readiness.MarkStopping();
        }

        tracker.Stop();
        var started = Stopwatch.GetTimestamp();
        var order = readiness.LoadedPlugins.Reverse().ToArray();
        HostingLog.PluginsStopping(logger, order.Length);
        var errors = new List<Exception>();
        foreach (var id in order)
        {
            try
            {
                // Waits for the running calls until the token fires, then kills the worker.
                await supervisor.UnloadAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (PluginException ex) when (ex.Kind == ErrorKind.PluginNotFound)
            {
                // The application unloaded it itself.
            }
            catch (Exception ex)
            {
                HostingLog.PluginUnloadFailed(logger, id, ex);
                errors.Add(ex);
            }
        }

        try
        {
            // Plugins the application loaded itself.
            await supervisor.ShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            errors.Add(ex);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            HostingLog.ShutdownBudgetSpent(logger);
        }

        if (readiness.Phase != IsolatedPluginsPhase.Failed)
        {
            readiness.MarkStopped();
        }

        HostingLog.PluginsStopped(logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds, errors.Count);
        if (errors.Count > 0)
        {
            throw new AggregateException($"{errors.Count} errors while stopping the plugins.", errors);
        }
    }

    /// <inheritdoc/>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task AbortAsync(string reason, IReadOnlyList<DeclaredPlugin> plugins, ConcurrentDictionary<string, bool> loaded, Exception error)
    {
        HostingLog.PluginsStartFailed(logger, reason, loaded.Count);
        readiness.MarkFailed(error);
        using var budget = new CancellationTokenSource(AbortBudget);
        foreach (var plugin in plugins.Reverse().Where(p => loaded.ContainsKey(p.Id)))
        {
            try
            {
                await supervisor.UnloadAsync(plugin.Id, budget.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                HostingLog.PluginUnloadFailed(logger, plugin.Id, ex);
            }
        }
    }
}

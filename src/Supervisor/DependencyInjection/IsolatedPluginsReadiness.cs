namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>
/// Whether the host's declared plugins are loaded and serving: a singleton in the container of a host that called
/// <c>AddIsolatedPlugins</c>. Await <see cref="WhenReady"/> (with a timeout) before sending work, or poll
/// <see cref="IsReady"/>; the health check reports Unhealthy until it is ready and again from the moment the host
/// starts stopping.
/// </summary>
public sealed class IsolatedPluginsReadiness
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile State state = new(IsolatedPluginsPhase.Starting, [], new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>Initializes a new instance of the <see cref="IsolatedPluginsReadiness"/> class.</summary>
    internal IsolatedPluginsReadiness()
    {
    }

    /// <summary>Gets the current phase.</summary>
    public IsolatedPluginsPhase Phase => state.Phase;

    /// <summary>Gets a value indicating whether the plugins are loaded and the host is not stopping.</summary>
    public bool IsReady => state.Phase == IsolatedPluginsPhase.Ready;

    /// <summary>
    /// Gets a task that completes the first time the plugins are ready; it fails with the start's error when the start
    /// fails and is canceled when the start is canceled. It stays completed once the host stops: check
    /// <see cref="IsReady"/> for the present.
    /// </summary>
    public Task WhenReady => ready.Task;

    /// <summary>Gets the ids of the declared plugins that loaded, in declaration order (empty before ready).</summary>
    public IReadOnlyList<string> LoadedPlugins => state.Loaded;

    /// <summary>
    /// Gets the declared plugins that failed to load, by id, with the reason (empty unless
    /// <see cref="IsolatedPluginsOptions.FailOnPluginLoadError"/> is <see langword="false"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> FailedPlugins => state.Failed;

    /// <summary>Marks the plugins ready.</summary>
    /// <param name="loaded">The ids that loaded, in declaration order.</param>
    /// <param name="failed">The ids that failed, with the reason.</param>
    internal void MarkReady(IReadOnlyList<string> loaded, IReadOnlyDictionary<string, string> failed)
    {
        state = new State(IsolatedPluginsPhase.Ready, loaded, failed);
        ready.TrySetResult();
    }

    /// <summary>Marks the host stopping; the lists stay as they were.</summary>
    internal void MarkStopping() => state = state with { Phase = IsolatedPluginsPhase.Stopping };

    /// <summary>Marks every worker gone.</summary>
    internal void MarkStopped() => state = state with { Phase = IsolatedPluginsPhase.Stopped };

    /// <summary>Marks the start failed or canceled.</summary>
    /// <param name="error">Why; an <see cref="OperationCanceledException"/> cancels <see cref="WhenReady"/>.</param>
    internal void MarkFailed(Exception error)
    {
        state = state with { Phase = IsolatedPluginsPhase.Failed };
        if (error is OperationCanceledException canceled)
        {
            ready.TrySetCanceled(canceled.CancellationToken);
        }
        else
        {
            ready.TrySetException(error);

            // Nobody may be waiting: observe the exception so it does not surface as unobserved.
            _ = ready.Task.Exception;
        }
    }

    private sealed record State(IsolatedPluginsPhase Phase, IReadOnlyList<string> Loaded, IReadOnlyDictionary<string, string> Failed);
}

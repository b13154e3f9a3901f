namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>Where the host's plugins are in their life cycle (<see cref="IsolatedPluginsReadiness.Phase"/>).</summary>
public enum IsolatedPluginsPhase
{
    /// <summary>The host has not finished loading the declared plugins.</summary>
    Starting,

    /// <summary>The declared plugins are loaded (those that could be) and serve calls.</summary>
    Ready,

    /// <summary>The host is stopping: plugins drain and unload; new work should go elsewhere.</summary>
    Stopping,

    /// <summary>Every worker is gone.</summary>
    Stopped,

    /// <summary>The start failed or was cancelled; the plugins that had loaded were unloaded.</summary>
    Failed,
}

namespace SochDb.Isolated.Supervisor;

/// <summary>The life-cycle state of a loaded plugin.</summary>
public enum PluginState
{
    /// <summary>The plugin's worker is up and serving calls.</summary>
    Ready,

    /// <summary>A call is running in the plugin's worker.</summary>
    Executing,

    /// <summary>The worker died; a replacement starts after the restart backoff, or with the next call.</summary>
    Crashed,

    /// <summary>The plugin is being reloaded; calls keep going to the current generation.</summary>
    Reloading,

    /// <summary>The plugin was unloaded or the runtime shut down.</summary>
    Terminated,

    /// <summary>
    /// The crash-loop breaker tripped (too many worker failures in the restart policy's window): calls fail with
    /// <see cref="Protocol.ErrorKind.SandboxFailed"/> until <see cref="PluginSupervisor.ResetQuarantine"/> or a reload.
    /// </summary>
    Quarantined,
}

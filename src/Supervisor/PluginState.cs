namespace SochDb.Isolated.Supervisor;

/// <summary>The life-cycle state of a loaded plugin.</summary>
public enum PluginState
{
    /// <summary>The plugin's worker is up and serving calls.</summary>
    Ready,

    /// <summary>A call is running in the plugin's worker.</summary>
    Executing,

    /// <summary>The worker died; the next call starts a replacement.</summary>
    Crashed,

    /// <summary>The plugin is being reloaded; calls keep going to the current generation.</summary>
    Reloading,

    /// <summary>The plugin was unloaded or the runtime shut down.</summary>
    Terminated,
}

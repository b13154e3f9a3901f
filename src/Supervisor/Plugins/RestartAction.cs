namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>The outcome of <see cref="RestartPolicy.Decide"/>.</summary>
internal enum RestartAction
{
    /// <summary>Nothing to do: the worker was stopped on purpose.</summary>
    None,

    /// <summary>Start a replacement after the decision's delay.</summary>
    Restart,

    /// <summary>Too many failures in the window: quarantine the plugin until an operator resets it.</summary>
    Quarantine,
}

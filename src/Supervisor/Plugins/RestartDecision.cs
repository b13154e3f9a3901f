namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>What to do after a worker ended.</summary>
/// <param name="Action">Restart, quarantine, or nothing.</param>
/// <param name="Delay">How long to wait before the restart (zero unless <see cref="RestartAction.Restart"/>).</param>
/// <param name="FailuresInWindow">Failures counted in the window, this one included.</param>
/// <param name="Reason">Why, for logs and the quarantine message.</param>
internal readonly record struct RestartDecision(RestartAction Action, TimeSpan Delay, int FailuresInWindow, string Reason);

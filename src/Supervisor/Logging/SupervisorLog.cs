using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>The supervisor's log messages. Event ids 1000–1999 belong to the supervisor.</summary>
internal static partial class SupervisorLog
{
    /// <summary>A worker process started and completed its handshake.</summary>
    [LoggerMessage(EventId = 1001, EventName = "WorkerStarted", Level = LogLevel.Debug, Message = "Worker {Pid} for plugin {PluginId} is up (handshake in {HandshakeMs:F1} ms)")]
    public static partial void WorkerStarted(ILogger logger, string pluginId, int pid, double handshakeMs);

    /// <summary>A worker wrote a log line.</summary>
    [LoggerMessage(EventId = 1002, EventName = "WorkerOutput", Message = "[{PluginId} worker {Pid}] {Line}")]
    public static partial void WorkerOutput(ILogger logger, LogLevel level, string pluginId, int pid, string line);

    /// <summary>A worker exited without being asked to.</summary>
    [LoggerMessage(EventId = 1003, EventName = "WorkerCrashed", Level = LogLevel.Warning, Message = "Worker {Pid} for plugin {PluginId} ended unasked: {Reason} (exit code {ExitCode})")]
    public static partial void WorkerCrashed(ILogger logger, string pluginId, int pid, int? exitCode, WorkerExitReason reason);

    /// <summary>A worker was stopped; the rung of the ladder that ended it is named.</summary>
    [LoggerMessage(EventId = 1004, EventName = "WorkerStopped", Level = LogLevel.Debug, Message = "Worker {Pid} for plugin {PluginId} stopped ({How})")]
    public static partial void WorkerStopped(ILogger logger, string pluginId, int pid, string how);

    /// <summary>A plugin was loaded.</summary>
    [LoggerMessage(EventId = 1005, EventName = "PluginLoaded", Level = LogLevel.Information, Message = "Plugin {PluginId} ({Name} {Version}) loaded, generation {Generation}, worker {Pid}")]
    public static partial void PluginLoaded(ILogger logger, string pluginId, string name, string version, long generation, int pid);

    /// <summary>A plugin was unloaded.</summary>
    [LoggerMessage(EventId = 1006, EventName = "PluginUnloaded", Level = LogLevel.Information, Message = "Plugin {PluginId} unloaded")]
    public static partial void PluginUnloaded(ILogger logger, string pluginId);

    /// <summary>A call failed.</summary>
    [LoggerMessage(EventId = 1007, EventName = "CallFailed", Level = LogLevel.Debug, Message = "Call {CallId} to {PluginId}.{Function} failed: {Kind}: {Reason}")]
    public static partial void CallFailed(ILogger logger, long callId, string pluginId, string function, string kind, string reason);

    /// <summary>A worker did not answer by the supervisor-side deadline and was killed.</summary>
    [LoggerMessage(EventId = 1008, EventName = "WorkerUnresponsive", Level = LogLevel.Warning, Message = "Worker {Pid} for plugin {PluginId} did not answer call {CallId} within {DeadlineMs:F0} ms; killing it")]
    public static partial void WorkerUnresponsive(ILogger logger, string pluginId, int pid, long callId, double deadlineMs);

    /// <summary>A replacement worker is being started after a crash.</summary>
    [LoggerMessage(EventId = 1009, EventName = "WorkerRestarting", Level = LogLevel.Information, Message = "Starting a replacement worker for plugin {PluginId} (restart {Restart})")]
    public static partial void WorkerRestarting(ILogger logger, string pluginId, long restart);

    /// <summary>A plugin was reloaded to a new generation.</summary>
    [LoggerMessage(EventId = 1010, EventName = "PluginReloaded", Level = LogLevel.Information, Message = "Plugin {PluginId} reloaded: calls now go to generation {Generation} on worker {Pid}; generation {Old} drains {InFlight} calls")]
    public static partial void PluginReloaded(ILogger logger, string pluginId, long generation, int pid, long old, int inFlight);

    /// <summary>A worker was refused during its handshake.</summary>
    [LoggerMessage(EventId = 1011, EventName = "HandshakeRejected", Level = LogLevel.Error, Message = "Worker {Pid} for plugin {PluginId} failed its handshake: {Reason}")]
    public static partial void HandshakeRejected(ILogger logger, string pluginId, int pid, string reason);

    /// <summary>A plugin wrote a message through the <c>log</c> host function.</summary>
    [LoggerMessage(EventId = 1012, EventName = "PluginLog", Message = "[{PluginId}] {Message}")]
    public static partial void PluginLog(ILogger logger, LogLevel level, string pluginId, string message);

    /// <summary>An audit record could not be written; the host call failed closed.</summary>
    [LoggerMessage(EventId = 1013, EventName = "AuditFailed", Level = LogLevel.Critical, Message = "Audit record for {PluginId}.{Function} could not be written ({Reason}); the host call was failed")]
    public static partial void AuditFailed(ILogger logger, string pluginId, string function, string reason);

    /// <summary>A table hook failed.</summary>
    [LoggerMessage(EventId = 1014, EventName = "HookFailed", Level = LogLevel.Warning, Message = "Hook {PluginId}.{Hook} on table {Table} failed with {Kind}: {Reason}")]
    public static partial void HookFailed(ILogger logger, string pluginId, string hook, string table, string kind, string reason);

    /// <summary>An idle worker did not answer its heartbeat and is being killed.</summary>
    [LoggerMessage(EventId = 1015, EventName = "HeartbeatMissed", Level = LogLevel.Warning, Message = "Worker {Pid} for plugin {PluginId} did not answer a heartbeat within {TimeoutMs:F0} ms; killing it")]
    public static partial void HeartbeatMissed(ILogger logger, string pluginId, int pid, double timeoutMs);

    /// <summary>The crash-loop breaker quarantined a plugin.</summary>
    [LoggerMessage(EventId = 1016, EventName = "PluginQuarantined", Level = LogLevel.Error, Message = "Plugin {PluginId} is quarantined: {Reason}; calls fail until an operator resets it")]
    public static partial void PluginQuarantined(ILogger logger, string pluginId, string reason);

    /// <summary>A replacement worker is scheduled after a failure.</summary>
    [LoggerMessage(EventId = 1017, EventName = "RestartScheduled", Level = LogLevel.Information, Message = "Plugin {PluginId}: {Reason}; replacement in {DelayMs:F0} ms")]
    public static partial void RestartScheduled(ILogger logger, string pluginId, string reason, double delayMs);

    /// <summary>An operator lifted a quarantine.</summary>
    [LoggerMessage(EventId = 1018, EventName = "QuarantineReset", Level = LogLevel.Information, Message = "Plugin {PluginId}: quarantine lifted and failure history cleared")]
    public static partial void QuarantineReset(ILogger logger, string pluginId);

    /// <summary>The isolation mechanism in force, logged once at start.</summary>
    [LoggerMessage(EventId = 1019, EventName = "IsolationSelected", Level = LogLevel.Information, Message = "Worker isolation: {Mode} ({Description})")]
    public static partial void IsolationSelected(ILogger logger, Isolation.IsolationMode mode, string description);
}

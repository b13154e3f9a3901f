using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>Hot reload, drain, probation and rollback events (1180–1199; the switch itself is <see cref="SupervisorLog.PluginReloaded"/>).</summary>
internal static partial class ReloadLog
{
    [LoggerMessage(EventId = 1180, EventName = "ReloadStarted", Level = LogLevel.Information, Message = "Plugin {PluginId}: reload to generation {Generation} started (generation {Serving} serving)")]
    public static partial void ReloadStarted(ILogger logger, string pluginId, long generation, long serving);

    [LoggerMessage(EventId = 1182, EventName = "ReloadRefused", Level = LogLevel.Warning, Message = "Plugin {PluginId}: generation {Generation} refused ({Kind}: {Reason}); generation {Serving} keeps serving")]
    public static partial void ReloadRefused(ILogger logger, string pluginId, long generation, string kind, string reason, long serving);

    [LoggerMessage(EventId = 1183, EventName = "DrainTimedOut", Level = LogLevel.Warning, Message = "Plugin {PluginId}: generation {Generation} still ran {InFlight} calls after {TimeoutMs:F0} ms of draining; its worker is killed")]
    public static partial void DrainTimedOut(ILogger logger, string pluginId, long generation, int inFlight, double timeoutMs);

    [LoggerMessage(EventId = 1184, EventName = "RolledBack", Level = LogLevel.Error, Message = "Plugin {PluginId}: generation {Generation} failed on probation ({Reason}); calls are back on generation {Restored}")]
    public static partial void RolledBack(ILogger logger, string pluginId, long generation, string reason, long restored);

    [LoggerMessage(EventId = 1185, EventName = "ReloadCommitted", Level = LogLevel.Information, Message = "Plugin {PluginId}: generation {Generation} passed probation; generation {Old} stopped")]
    public static partial void ReloadCommitted(ILogger logger, string pluginId, long generation, long old);

    [LoggerMessage(EventId = 1186, EventName = "CallRetriedAfterRollback", Level = LogLevel.Information, Message = "Call {CallId} to {PluginId}.{Function} lost generation {Generation}'s worker on probation and runs again on generation {Restored}")]
    public static partial void CallRetriedAfterRollback(ILogger logger, long callId, string pluginId, string function, long generation, long restored);
}

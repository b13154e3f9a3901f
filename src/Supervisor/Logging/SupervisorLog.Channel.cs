using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>The supervisor's log messages about misbehaving worker channels and output (event ids 1020–1029).</summary>
internal static partial class SupervisorLog
{
    /// <summary>A worker broke the channel protocol (malformed or oversized message, answer to nothing asked) and is killed.</summary>
    [LoggerMessage(EventId = 1020, EventName = "WorkerProtocolViolation", Level = LogLevel.Error, Message = "Worker {Pid} for plugin {PluginId} sent a malformed message and is being killed: {Reason}")]
    public static partial void WorkerProtocolViolation(ILogger logger, string pluginId, int pid, string reason);

    /// <summary>A worker wrote more output lines than may be logged; the excess was counted, not logged.</summary>
    [LoggerMessage(EventId = 1021, EventName = "WorkerOutputSuppressed", Level = LogLevel.Warning, Message = "Worker {Pid} for plugin {PluginId} wrote {Dropped} lines over the limit of {Limit} per second; they were not logged")]
    public static partial void WorkerOutputSuppressed(ILogger logger, string pluginId, int pid, long dropped, int limit);

    /// <summary>Calls that waited for an instance went to the worker together (call coalescing).</summary>
    [LoggerMessage(EventId = 1022, EventName = "CallsCoalesced", Level = LogLevel.Trace, Message = "Worker {Pid} for plugin {PluginId}: {Count} calls sent in one message")]
    public static partial void CallsCoalesced(ILogger logger, string pluginId, int pid, int count);

    /// <summary>A worker connected its direct call lane (<see cref="PluginSupervisorOptions.DirectCalls"/>).</summary>
    [LoggerMessage(EventId = 1023, EventName = "DirectLaneConnected", Level = LogLevel.Debug, Message = "Worker {Pid} for plugin {PluginId} connected its direct call lane (socket file {Path}, removed)")]
    public static partial void DirectLaneConnected(ILogger logger, string pluginId, int pid, string path);

    /// <summary>A call went over the direct lane rather than the channel.</summary>
    [LoggerMessage(EventId = 1024, EventName = "DirectCallSent", Level = LogLevel.Trace, Message = "Worker {Pid} for plugin {PluginId}: call {CallId} sent on the direct lane")]
    public static partial void DirectCallSent(ILogger logger, string pluginId, int pid, long callId);
}

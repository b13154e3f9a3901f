using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Worker.Logging;

/// <summary>The worker's log messages. Event ids 2000–2999 belong to the worker.</summary>
internal static partial class WorkerLog
{
    /// <summary>The handshake succeeded.</summary>
    [LoggerMessage(EventId = 2001, EventName = "HandshakeCompleted", Level = LogLevel.Debug, Message = "Handshake completed with supervisor {SupervisorPid} (protocol {ProtocolVersion}, Wasmtime {WasmtimeVersion})")]
    public static partial void HandshakeCompleted(ILogger logger, int supervisorPid, int protocolVersion, string wasmtimeVersion);

    /// <summary>The plugin's module was loaded and instantiated.</summary>
    [LoggerMessage(EventId = 2002, EventName = "PluginLoaded", Level = LogLevel.Debug, Message = "Plugin {PluginId} loaded ({MemoryBytes} bytes of linear memory)")]
    public static partial void PluginLoaded(ILogger logger, string pluginId, long memoryBytes);

    /// <summary>A call trapped; the instance will be replaced.</summary>
    [LoggerMessage(EventId = 2003, EventName = "CallTrapped", Level = LogLevel.Debug, Message = "Call {CallId} to {Function} failed with {Kind}: {Reason}; the instance will be replaced")]
    public static partial void CallTrapped(ILogger logger, long callId, string function, string kind, string reason);

    /// <summary>The plugin wrote a message through the <c>log</c> host function.</summary>
    [LoggerMessage(EventId = 2004, EventName = "GuestLog", Message = "[guest] {Message}")]
    public static partial void GuestLog(ILogger logger, LogLevel level, string message);

    /// <summary>The plugin passed an invalid buffer to a host function.</summary>
    [LoggerMessage(EventId = 2005, EventName = "HostCallRejected", Level = LogLevel.Warning, Message = "Host call {Function} rejected: {Reason}")]
    public static partial void HostCallRejected(ILogger logger, string function, string reason);

    /// <summary>The channel to the supervisor closed.</summary>
    [LoggerMessage(EventId = 2006, EventName = "ChannelClosed", Level = LogLevel.Debug, Message = "Channel to the supervisor closed; exiting with {ExitCode}")]
    public static partial void ChannelClosed(ILogger logger, string exitCode);

    /// <summary>The worker failed before or during start-up.</summary>
    [LoggerMessage(EventId = 2007, EventName = "StartupFailed", Level = LogLevel.Error, Message = "Worker start-up failed: {Reason}")]
    public static partial void StartupFailed(ILogger logger, string reason);

    /// <summary>Calls overlapped, so the plugin got another instance.</summary>
    [LoggerMessage(EventId = 2020, EventName = "InstanceAdded", Level = LogLevel.Debug, Message = "Plugin {PluginId} now has {Instances} of at most {MaxInstances} instances")]
    public static partial void InstanceAdded(ILogger logger, string pluginId, int instances, int maxInstances);

    /// <summary>A call arrived while every instance was busy: the supervisor sent more calls at once than it asked for.</summary>
    [LoggerMessage(EventId = 2021, EventName = "InstanceLimitReached", Level = LogLevel.Warning, Message = "Call {CallId} refused: all {MaxInstances} instances are running calls")]
    public static partial void InstanceLimitReached(ILogger logger, long callId, int maxInstances);

    /// <summary>The direct call lane stopped; calls go over the channel, and the supervisor replaces the worker.</summary>
    [LoggerMessage(EventId = 2030, EventName = "DirectLaneClosed", Level = LogLevel.Debug, Message = "Direct call lane closed: {Reason}")]
    public static partial void DirectLaneClosed(ILogger logger, string reason);
}

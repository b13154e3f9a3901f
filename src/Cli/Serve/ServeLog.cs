using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>The <c>serve</c> command's log messages (to standard error; standard output carries only frames).</summary>
internal static partial class ServeLog
{
    /// <summary>The server started reading requests.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="maxFrameBytes">The frame size limit.</param>
    [LoggerMessage(EventId = 3100, EventName = "ServeStarted", Level = LogLevel.Debug, Message = "Serving JSON-RPC on standard input/output (frames up to {MaxFrameBytes} bytes)")]
    public static partial void Started(ILogger logger, long maxFrameBytes);

    /// <summary>A frame was refused before its JSON was read.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="reason">Why.</param>
    [LoggerMessage(EventId = 3101, EventName = "ServeFrameRefused", Level = LogLevel.Warning, Message = "Refused a frame: {Reason}")]
    public static partial void FrameRefused(ILogger logger, string reason);

    /// <summary>A frame's body was not a valid request.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="code">The JSON-RPC error code answered.</param>
    /// <param name="reason">Why.</param>
    [LoggerMessage(EventId = 3102, EventName = "ServeRequestRefused", Level = LogLevel.Warning, Message = "Refused a request ({Code}): {Reason}")]
    public static partial void RequestRefused(ILogger logger, int code, string reason);

    /// <summary>The input ended in the middle of a frame.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="reason">Where.</param>
    [LoggerMessage(EventId = 3103, EventName = "ServeInputTruncated", Level = LogLevel.Warning, Message = "Input truncated: {Reason}")]
    public static partial void InputTruncated(ILogger logger, string reason);

    /// <summary>Reading the input failed.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="exception">The failure.</param>
    [LoggerMessage(EventId = 3104, EventName = "ServeInputFailed", Level = LogLevel.Error, Message = "Reading standard input failed; shutting down")]
    public static partial void InputFailed(ILogger logger, Exception exception);

    /// <summary>Writing a response failed: the client is gone.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="exception">The failure.</param>
    [LoggerMessage(EventId = 3105, EventName = "ServeOutputFailed", Level = LogLevel.Error, Message = "Writing a response failed; shutting down")]
    public static partial void OutputFailed(ILogger logger, Exception exception);

    /// <summary>A notification failed; notifications get no response, so the log is the only trace.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="method">The method.</param>
    /// <param name="reason">Why.</param>
    [LoggerMessage(EventId = 3106, EventName = "ServeNotificationFailed", Level = LogLevel.Information, Message = "Notification {Method} failed: {Reason}")]
    public static partial void NotificationFailed(ILogger logger, string method, string reason);

    /// <summary>A request failed with an unexpected exception (a bug).</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="method">The method.</param>
    /// <param name="exception">The failure.</param>
    [LoggerMessage(EventId = 3107, EventName = "ServeRequestCrashed", Level = LogLevel.Error, Message = "Request {Method} failed unexpectedly")]
    public static partial void RequestCrashed(ILogger logger, string method, Exception exception);

    /// <summary>The server is stopping.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="reason">Why.</param>
    [LoggerMessage(EventId = 3108, EventName = "ServeStopping", Level = LogLevel.Information, Message = "Stopping: {Reason}")]
    public static partial void Stopping(ILogger logger, string reason);
}

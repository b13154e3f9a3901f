using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Worker.Hardening;

/// <summary>The worker's hardening log messages (event ids 2100–2109).</summary>
internal static partial class WorkerHardeningLog
{
    /// <summary>Logs the hardening the worker applied to itself.</summary>
    [LoggerMessage(EventId = 2100, EventName = "HardeningApplied", Level = LogLevel.Debug, Message = "Hardening applied: open files {MaxOpenFiles}, core dumps disabled {DisableCoreDumps}, user {UserId}")]
    public static partial void HardeningApplied(ILogger logger, int maxOpenFiles, bool disableCoreDumps, uint? userId);

    /// <summary>Logs a requested measure that could not be applied; the worker exits.</summary>
    [LoggerMessage(EventId = 2101, EventName = "HardeningFailed", Level = LogLevel.Critical, Message = "Hardening failed, refusing to run plugins: {Reason}")]
    public static partial void HardeningFailed(ILogger logger, string reason);
}

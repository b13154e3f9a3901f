using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>The supervisor's worker-hardening log messages (event ids 1120–1139).</summary>
internal static partial class HardeningLog
{
    /// <summary>Logs the hardening in force for this supervisor's workers, once.</summary>
    [LoggerMessage(EventId = 1120, EventName = "HardeningPlanned", Level = LogLevel.Information, Message = "Worker hardening: {Summary}")]
    public static partial void HardeningPlanned(ILogger logger, string summary);

    /// <summary>Logs a measure that is not in force on this host, once.</summary>
    [LoggerMessage(EventId = 1121, EventName = "HardeningDegraded", Level = LogLevel.Warning, Message = "Worker hardening: {Measure} is not in force: {Reason}")]
    public static partial void HardeningDegraded(ILogger logger, string measure, string reason);

    /// <summary>Logs that workers cannot be started because a required measure is unavailable.</summary>
    [LoggerMessage(EventId = 1122, EventName = "HardeningUnavailable", Level = LogLevel.Error, Message = "Worker hardening cannot be satisfied; no worker will start: {Reason}")]
    public static partial void HardeningUnavailable(ILogger logger, string reason);

    /// <summary>Logs one finding of the host probe.</summary>
    [LoggerMessage(EventId = 1123, EventName = "HardeningProbe", Level = LogLevel.Debug, Message = "Worker hardening probe: {Finding}")]
    public static partial void HardeningProbe(ILogger logger, string finding);

    /// <summary>Logs the launch chain workers are started through.</summary>
    [LoggerMessage(EventId = 1124, EventName = "HardeningLaunchChain", Level = LogLevel.Debug, Message = "Workers start through: {Chain}")]
    public static partial void HardeningLaunchChain(ILogger logger, string chain);

    /// <summary>Logs that the supervisor's descriptors could not all be marked close-on-exec before a start.</summary>
    [LoggerMessage(EventId = 1125, EventName = "DescriptorMarkingFailed", Level = LogLevel.Warning, Message = "Some supervisor descriptors could not be marked close-on-exec and may leak into the worker: {Reason}")]
    public static partial void DescriptorMarkingFailed(ILogger logger, string reason);

    /// <summary>Logs a worker whose hardening report does not match what was applied.</summary>
    [LoggerMessage(EventId = 1126, EventName = "HardeningReportRejected", Level = LogLevel.Error, Message = "Worker {Pid} for plugin {PluginId} is not hardened as requested: {Problem}")]
    public static partial void HardeningReportRejected(ILogger logger, string pluginId, int pid, string problem);
}

using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>The warm worker pool's log messages. Event ids 1160–1179 belong to it.</summary>
internal static partial class PoolLog
{
    /// <summary>The pool holds its full count of idle workers.</summary>
    [LoggerMessage(EventId = 1160, EventName = "WarmPoolFilled", Level = LogLevel.Debug, Message = "Warm worker pool filled: {Idle} idle workers")]
    public static partial void Filled(ILogger logger, int idle);

    /// <summary>A load took an idle worker instead of starting one.</summary>
    [LoggerMessage(EventId = 1161, EventName = "WarmWorkerAdopted", Level = LogLevel.Debug, Message = "Plugin {PluginId} adopted warm worker {Pid} in {ElapsedMs:F2} ms ({Idle} idle left)")]
    public static partial void Adopted(ILogger logger, string pluginId, int pid, double elapsedMs, int idle);

    /// <summary>An idle worker died (crashed, or killed by its heartbeat) and was dropped from the pool.</summary>
    [LoggerMessage(EventId = 1162, EventName = "WarmWorkerDied", Level = LogLevel.Warning, Message = "Idle warm worker {Pid} died ({Reason}, exit code {ExitCode}) and was dropped from the pool")]
    public static partial void IdleWorkerDied(ILogger logger, int pid, WorkerExitReason reason, int? exitCode);

    /// <summary>Starting a worker for the pool failed; the pool tries again after a delay.</summary>
    [LoggerMessage(EventId = 1163, EventName = "WarmPoolRefillFailed", Level = LogLevel.Warning, Message = "Warm worker pool could not start a worker ({Failures} failures in a row), retrying in {RetryMs:F0} ms: {Reason}")]
    public static partial void RefillFailed(ILogger logger, int failures, double retryMs, string reason);

    /// <summary>A taken worker could not get its plugin's limits; it was discarded and the load starts a fresh worker.</summary>
    [LoggerMessage(EventId = 1164, EventName = "WarmWorkerAdoptFailed", Level = LogLevel.Warning, Message = "Plugin {PluginId} could not adopt warm worker {Pid}, which was discarded: {Reason}")]
    public static partial void AdoptFailed(ILogger logger, string pluginId, int pid, string reason);

    /// <summary>The pool was created and starts filling in the background.</summary>
    [LoggerMessage(EventId = 1165, EventName = "WarmPoolStarted", Level = LogLevel.Information, Message = "Warm worker pool of {Size} workers is filling in the background")]
    public static partial void Started(ILogger logger, int size);

    /// <summary>The pool stopped its idle workers.</summary>
    [LoggerMessage(EventId = 1166, EventName = "WarmPoolStopped", Level = LogLevel.Debug, Message = "Warm worker pool stopped ({Idle} idle workers stopped, {Adoptions} adopted in its life)")]
    public static partial void Stopped(ILogger logger, int idle, long adoptions);
}

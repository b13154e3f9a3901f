using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>The OS isolation layer's log messages. Event ids 1100–1119 belong to it.</summary>
internal static partial class IsolationLog
{
    /// <summary>The isolation mechanism in force was chosen.</summary>
    [LoggerMessage(EventId = 1100, EventName = "IsolationSelected", Level = LogLevel.Information, Message = "Worker isolation: {Mode} ({Description})")]
    public static partial void IsolationSelected(ILogger logger, string mode, string description);

    /// <summary>A stronger mechanism than the one chosen could not be used; a warning when the watchdog is what is left.</summary>
    [LoggerMessage(EventId = 1101, EventName = "IsolationModeUnavailable", Message = "Worker isolation {Mode} is unavailable: {Reason}")]
    public static partial void IsolationModeUnavailable(ILogger logger, LogLevel level, string mode, string reason);

    /// <summary>No OS mechanism is usable: only the memory watchdog protects the host.</summary>
    [LoggerMessage(EventId = 1102, EventName = "WatchdogOnly", Level = LogLevel.Warning, Message = "No OS isolation is usable: workers are only watched for resident memory every {IntervalMs:F0} ms; there is no process or CPU limit and a fast allocation can overshoot between polls")]
    public static partial void WatchdogOnly(ILogger logger, double intervalMs);

    /// <summary>A worker's group was created with its limits.</summary>
    [LoggerMessage(EventId = 1103, EventName = "GroupCreated", Level = LogLevel.Debug, Message = "Isolation group {Group} created (memory {MemoryBytes} bytes, tasks {MaxProcesses}, CPU {CpuCores} cores)")]
    public static partial void GroupCreated(ILogger logger, string group, long memoryBytes, int maxProcesses, double cpuCores);

    /// <summary>A worker's group was removed.</summary>
    [LoggerMessage(EventId = 1104, EventName = "GroupRemoved", Level = LogLevel.Debug, Message = "Isolation group {Group} removed")]
    public static partial void GroupRemoved(ILogger logger, string group);

    /// <summary>A group (or the supervisor's parent group) could not be removed and was left in place.</summary>
    [LoggerMessage(EventId = 1105, EventName = "GroupRemoveFailed", Level = LogLevel.Warning, Message = "Isolation group {Group} could not be removed: {Reason}")]
    public static partial void GroupRemoveFailed(ILogger logger, string group, string reason);

    /// <summary>Processes survived a group kill within the wait budget.</summary>
    [LoggerMessage(EventId = 1106, EventName = "GroupNotEmpty", Level = LogLevel.Warning, Message = "Isolation group {Group} still held processes [{Pids}] {WaitMs:F0} ms after it was killed")]
    public static partial void GroupNotEmpty(ILogger logger, string group, string pids, double waitMs);

    /// <summary>A group left behind by a supervisor that died without cleaning up was removed.</summary>
    [LoggerMessage(EventId = 1107, EventName = "StaleGroupRemoved", Level = LogLevel.Information, Message = "Removed stale isolation group {Group} of supervisor {Pid}, which is gone ({Killed} leftover processes killed)")]
    public static partial void StaleGroupRemoved(ILogger logger, string group, int pid, int killed);

    /// <summary>A stale group could not be removed.</summary>
    [LoggerMessage(EventId = 1108, EventName = "StaleGroupRemoveFailed", Level = LogLevel.Warning, Message = "Stale isolation group {Group} of supervisor {Pid} could not be removed: {Reason}")]
    public static partial void StaleGroupRemoveFailed(ILogger logger, string group, int pid, string reason);

    /// <summary>An optional limit or control could not be applied; the group works without it.</summary>
    [LoggerMessage(EventId = 1109, EventName = "OptionalControlSkipped", Level = LogLevel.Debug, Message = "{Group}: {Control} not applied: {Reason}")]
    public static partial void OptionalControlSkipped(ILogger logger, string group, string control, string reason);

    /// <summary>The supervisor moved itself into a leaf of its own cgroup so that the cgroup could delegate controllers.</summary>
    [LoggerMessage(EventId = 1110, EventName = "SupervisorMovedToLeaf", Level = LogLevel.Information, Message = "Moved the supervisor (pid {Pid}) into {Leaf}: cgroup v2 lets {Group} hand controllers to child groups only while it holds no processes")]
    public static partial void SupervisorMovedToLeaf(ILogger logger, int pid, string leaf, string group);

    /// <summary>The watchdog killed a worker whose resident memory passed its limit.</summary>
    [LoggerMessage(EventId = 1111, EventName = "WatchdogKilled", Level = LogLevel.Warning, Message = "Watchdog killed {Group}: resident memory {ResidentBytes} bytes passed its limit of {LimitBytes} bytes")]
    public static partial void WatchdogKilled(ILogger logger, string group, long residentBytes, long limitBytes);

    /// <summary>One watchdog poll failed; the next one tries again.</summary>
    [LoggerMessage(EventId = 1112, EventName = "WatchdogPollFailed", Level = LogLevel.Warning, Message = "Watchdog poll failed")]
    public static partial void WatchdogPollFailed(ILogger logger, Exception exception);

    /// <summary>A group kill could not be completed.</summary>
    [LoggerMessage(EventId = 1113, EventName = "KillFailed", Level = LogLevel.Warning, Message = "Killing isolation group {Group} failed: {Reason}")]
    public static partial void KillFailed(ILogger logger, string group, string reason);

    /// <summary>A running worker's group got new limits (a warm pooled worker adopted by its plugin).</summary>
    [LoggerMessage(EventId = 1114, EventName = "GroupLimitsChanged", Level = LogLevel.Debug, Message = "Isolation group {Group} limits changed (memory {MemoryBytes} bytes, tasks {MaxProcesses}, CPU {CpuCores} cores)")]
    public static partial void GroupLimitsChanged(ILogger logger, string group, long memoryBytes, int maxProcesses, double cpuCores);
}

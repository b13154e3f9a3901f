namespace SochDb.Isolated.Supervisor;

/// <summary>Why a worker process ended, as the supervisor classified it.</summary>
public enum WorkerExitReason
{
    /// <summary>The worker has not exited.</summary>
    None = 0,

    /// <summary>The supervisor stopped it (unload, reload, shutdown): not a failure.</summary>
    Stopped = 1,

    /// <summary>It exited unasked or was killed by a signal the supervisor did not send.</summary>
    Crashed = 2,

    /// <summary>The OS (cgroup or job object) or the memory watchdog killed it for exceeding its memory limit.</summary>
    OutOfMemory = 3,

    /// <summary>The supervisor killed it because a call passed its supervisor-side deadline (plugin timeout plus grace).</summary>
    TimedOut = 4,

    /// <summary>The supervisor killed it because it stopped answering heartbeats while idle.</summary>
    Unresponsive = 5,

    /// <summary>The supervisor killed it because it broke the protocol (malformed or oversized message, bad handshake).</summary>
    ProtocolViolation = 6,

    /// <summary>It never became ready: it failed to start, connect, hand-shake or load its plugin.</summary>
    StartFailed = 7,
}

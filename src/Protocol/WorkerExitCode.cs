namespace SochDb.Isolated.Protocol;

/// <summary>The exit codes of the worker process. Part of the contract between supervisor and worker.</summary>
public enum WorkerExitCode
{
    /// <summary>The supervisor asked the worker to stop.</summary>
    Success = 0,

    /// <summary>The channel to the supervisor closed: the supervisor is gone or dropped the worker.</summary>
    ParentLost = 10,

    /// <summary>The bootstrap line on standard input was missing or malformed.</summary>
    BadBootstrap = 11,

    /// <summary>The worker could not connect to the supervisor's pipe.</summary>
    ConnectFailed = 12,

    /// <summary>The handshake failed.</summary>
    HandshakeFailed = 13,

    /// <summary>An unexpected exception ended the worker.</summary>
    UnhandledException = 14,

    /// <summary>A hardening measure the bootstrap asked for could not be applied; the worker refuses to run plugins without it.</summary>
    HardeningFailed = 15,

    /// <summary>
    /// The bootstrap asked for a wire format this worker build cannot speak (the Native AOT worker speaks only the
    /// JSON formats).
    /// </summary>
    UnsupportedWire = 16,
}

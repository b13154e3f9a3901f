using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>The plugin's worker process died or broke the channel during the call (<see cref="ErrorKind.WorkerCrashed"/>).</summary>
public sealed class WorkerCrashedException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="WorkerCrashedException"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="exitCode">The worker's exit code, if it exited (128 + signal number when killed by a signal on Unix).</param>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The channel error, if any.</param>
    public WorkerCrashedException(string pluginId, int? exitCode, string message, Exception? innerException = null)
        : base(ErrorKind.WorkerCrashed, pluginId, message, innerException) => ExitCode = exitCode;

    /// <summary>Gets the worker's exit code, or <see langword="null"/> if it had not exited when the call failed.</summary>
    public int? ExitCode { get; }
}

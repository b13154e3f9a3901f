using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>A call passed its wall-clock deadline (<see cref="ErrorKind.Timeout"/>).</summary>
public sealed class PluginTimeoutException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="PluginTimeoutException"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="elapsed">How long the call ran.</param>
    /// <param name="workerKilled">Whether the supervisor had to kill the worker because it did not answer at all.</param>
    /// <param name="message">What happened.</param>
    public PluginTimeoutException(string pluginId, TimeSpan elapsed, bool workerKilled, string message)
        : base(ErrorKind.Timeout, pluginId, message)
    {
        Elapsed = elapsed;
        WorkerKilled = workerKilled;
    }

    /// <summary>Gets how long the call ran before it was stopped.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets a value indicating whether the worker was killed (it did not answer by the supervisor's deadline).</summary>
    public bool WorkerKilled { get; }
}

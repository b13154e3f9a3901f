using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>Too many calls already wait for the plugin, or a call waited too long (<see cref="ErrorKind.Overloaded"/>).</summary>
public sealed class OverloadedException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="OverloadedException"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="queued">The calls waiting when this one was refused.</param>
    /// <param name="retryAfter">A hint for when to try again: the plugin's timeout, the longest one call can hold the queue.</param>
    public OverloadedException(string pluginId, int queued, TimeSpan retryAfter)
        : base(ErrorKind.Overloaded, pluginId, $"plugin '{pluginId}' is overloaded: {queued} calls are already waiting; retry after {retryAfter.TotalMilliseconds:F0} ms")
    {
        Queued = queued;
        RetryAfter = retryAfter;
    }

    /// <summary>Initializes a new instance of the <see cref="OverloadedException"/> class for a call that waited in line too long.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="queued">The calls waiting when this one gave up.</param>
    /// <param name="retryAfter">A hint for when to try again.</param>
    /// <param name="queueTimeout">How long the call waited.</param>
    public OverloadedException(string pluginId, int queued, TimeSpan retryAfter, TimeSpan queueTimeout)
        : base(ErrorKind.Overloaded, pluginId, $"plugin '{pluginId}' is overloaded: the call waited {queueTimeout.TotalMilliseconds:F0} ms in line (QueueTimeout) behind {queued} others without a free instance; retry after {retryAfter.TotalMilliseconds:F0} ms")
    {
        Queued = queued;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the calls waiting when this one was refused.</summary>
    public int Queued { get; }

    /// <summary>Gets the suggested delay before retrying.</summary>
    public TimeSpan RetryAfter { get; }
}

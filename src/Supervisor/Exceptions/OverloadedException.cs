using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>Too many calls already wait for the plugin (<see cref="ErrorKind.Overloaded"/>).</summary>
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

    /// <summary>Gets the calls waiting when this one was refused.</summary>
    public int Queued { get; }

    /// <summary>Gets the suggested delay before retrying.</summary>
    public TimeSpan RetryAfter { get; }
}

using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>The plugin's store refused memory (<see cref="ErrorKind.MemoryLimitExceeded"/>).</summary>
public sealed class MemoryLimitExceededException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="MemoryLimitExceededException"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="usedBytes">The memory in use (or asked for at instantiation), in bytes.</param>
    /// <param name="limitBytes">The limit, in bytes.</param>
    /// <param name="message">What happened.</param>
    public MemoryLimitExceededException(string pluginId, long usedBytes, long limitBytes, string message)
        : base(ErrorKind.MemoryLimitExceeded, pluginId, message)
    {
        UsedBytes = usedBytes;
        LimitBytes = limitBytes;
    }

    /// <summary>Gets the memory in use, or asked for, in bytes.</summary>
    public long UsedBytes { get; }

    /// <summary>Gets the limit in bytes.</summary>
    public long LimitBytes { get; }
}

using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>
/// The base of every error the runtime raises. <see cref="Kind"/> is stable and is what callers (and the CLI's exit
/// codes, and the <c>serve</c> protocol's <c>data.kind</c>) branch on; derived types carry each kind's details.
/// </summary>
public class PluginException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PluginException"/> class.</summary>
    /// <param name="kind">The stable kind.</param>
    /// <param name="pluginId">The plugin concerned, if any.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public PluginException(ErrorKind kind, string? pluginId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        PluginId = pluginId;
    }

    /// <summary>Gets the stable error kind.</summary>
    public ErrorKind Kind { get; }

    /// <summary>Gets the plugin concerned, or <see langword="null"/> for runtime-wide errors.</summary>
    public string? PluginId { get; }
}

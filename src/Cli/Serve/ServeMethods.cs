namespace SochDb.Isolated.Cli.Serve;

/// <summary>The method names of the <c>serve</c> protocol (see docs/serve-protocol.md).</summary>
internal static class ServeMethods
{
    /// <summary><c>plugin.load {id, manifestPath, wasmPath?}</c> → PluginInfo.</summary>
    public const string PluginLoad = "plugin.load";

    /// <summary><c>plugin.invoke {id, function, args?}</c> → <c>{results, receipt}</c>.</summary>
    public const string PluginInvoke = "plugin.invoke";

    /// <summary><c>plugin.reload {id, manifestPath?, wasmPath?}</c> → PluginInfo.</summary>
    public const string PluginReload = "plugin.reload";

    /// <summary><c>plugin.unload {id}</c> → null.</summary>
    public const string PluginUnload = "plugin.unload";

    /// <summary><c>plugin.resetFuel {id}</c> → null.</summary>
    public const string PluginResetFuel = "plugin.resetFuel";

    /// <summary><c>plugin.list {}</c> → [PluginInfo].</summary>
    public const string PluginList = "plugin.list";

    /// <summary><c>plugin.stats {id}</c> → PluginStats.</summary>
    public const string PluginStats = "plugin.stats";

    /// <summary><c>runtime.stats {}</c> → RuntimeStats.</summary>
    public const string RuntimeStats = "runtime.stats";

    /// <summary><c>runtime.shutdown {}</c> → null once every worker is stopped; then the server exits.</summary>
    public const string RuntimeShutdown = "runtime.shutdown";

    /// <summary>
    /// Gets the methods reserved for the embedded store and audit log, which arrive with host API v1: recognised, and
    /// answered with <see cref="JsonRpcErrorCodes.MethodNotFound"/> and <c>data.kind = "NotAvailable"</c>, so clients
    /// can tell "not yet" from a typo.
    /// </summary>
    public static IReadOnlySet<string> Reserved { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "store.put",
        "store.get",
        "store.delete",
        "store.putVector",
        "audit.query",
    };
}

namespace SochDb.Isolated.Cli.Serve;

/// <summary>The method names of the <c>serve</c> protocol (see docs/serve-protocol.md).</summary>
internal static class ServeMethods
{
    /// <summary><c>plugin.load {id, manifestPath, wasmPath?}</c> → PluginInfo.</summary>
    public const string PluginLoad = "plugin.load";

    /// <summary><c>plugin.invoke {id, function, args?}</c> → <c>{results, receipt}</c>.</summary>
    public const string PluginInvoke = "plugin.invoke";

    /// <summary><c>plugin.invokeBatch {id, function, rows}</c> → <c>{rows: [{results, receipt} | {error, receipt}]}</c>.</summary>
    public const string PluginInvokeBatch = "plugin.invokeBatch";

    /// <summary><c>plugin.reload {id, manifestPath?, wasmPath?}</c> → PluginInfo.</summary>
    public const string PluginReload = "plugin.reload";

    /// <summary><c>plugin.unload {id}</c> → null.</summary>
    public const string PluginUnload = "plugin.unload";

    /// <summary><c>plugin.resetFuel {id}</c> → null.</summary>
    public const string PluginResetFuel = "plugin.resetFuel";

    /// <summary><c>plugin.resetQuarantine {id}</c> → bool: lifts a quarantine (true if the plugin was quarantined).</summary>
    public const string PluginResetQuarantine = "plugin.resetQuarantine";

    /// <summary><c>plugin.list {}</c> → [PluginInfo].</summary>
    public const string PluginList = "plugin.list";

    /// <summary><c>plugin.stats {id}</c> → PluginStats.</summary>
    public const string PluginStats = "plugin.stats";

    /// <summary><c>runtime.stats {}</c> → RuntimeStats.</summary>
    public const string RuntimeStats = "runtime.stats";

    /// <summary><c>runtime.shutdown {}</c> → null once every worker is stopped; then the server exits.</summary>
    public const string RuntimeShutdown = "runtime.shutdown";

    /// <summary><c>store.put {table, rowId, data}</c> → null: inserts or replaces a row (data base64).</summary>
    public const string StorePut = "store.put";

    /// <summary><c>store.get {table, rowId}</c> → <c>{data}</c> or null.</summary>
    public const string StoreGet = "store.get";

    /// <summary><c>store.delete {table, rowId}</c> → bool: whether a row was deleted.</summary>
    public const string StoreDelete = "store.delete";

    /// <summary><c>store.putVector {index, rowId, vector, metric?}</c> → null.</summary>
    public const string StorePutVector = "store.putVector";

    /// <summary><c>store.search {index, vector, topK?}</c> → [{rowId, distance}], nearest first.</summary>
    public const string StoreSearch = "store.search";

    /// <summary><c>store.putIndex {index, key, rowId, remove?}</c> → bool: adds (or removes) a secondary-index entry (key base64).</summary>
    public const string StorePutIndex = "store.putIndex";

    /// <summary><c>store.lookupIndex {index, key, limit?}</c> → [rowId], ascending.</summary>
    public const string StoreLookupIndex = "store.lookupIndex";

    /// <summary><c>audit.query {pluginId?, limit?}</c> → [AuditEntry], oldest first.</summary>
    public const string AuditQuery = "audit.query";
}

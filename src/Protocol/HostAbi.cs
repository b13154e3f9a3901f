namespace SochDb.Isolated.Protocol;

/// <summary>
/// The host functions this protocol version offers under the <see cref="ProtocolConstants.HostModule"/> import module,
/// with their exact wasm signatures. A module that imports anything else is rejected at load. Strings and buffers are
/// <c>(ptr, len)</c> pairs into guest memory; functions that return a buffer return an <c>i64</c> packing
/// <c>(ptr &lt;&lt; 32) | len</c> of a copy placed through the guest's <c>soch_alloc</c>, or a negative
/// <see cref="HostStatus"/>.
/// </summary>
public static class HostAbi
{
    /// <summary>A host function's wasm signature, in wasm value type names (<c>i32</c>, <c>i64</c>, <c>f32</c>, <c>f64</c>).</summary>
    /// <param name="Name">The import name.</param>
    /// <param name="Params">The parameter types.</param>
    /// <param name="Results">The result types.</param>
    /// <param name="ReturnsBuffer">Whether a successful call returns a buffer placed through <c>soch_alloc</c>.</param>
    public sealed record HostFunction(string Name, IReadOnlyList<string> Params, IReadOnlyList<string> Results, bool ReturnsBuffer = false);

    /// <summary><c>log(level: i32, msg_ptr: i32, msg_len: i32)</c>: writes a UTF-8 message to the plugin's log (0 debug, 1 info, 2 warn, 3 error).</summary>
    public static readonly HostFunction Log = new("log", ["i32", "i32", "i32"], []);

    /// <summary><c>read(table_ptr, table_len, row_id: i64) -&gt; i64</c>: the row's bytes.</summary>
    public static readonly HostFunction Read = new("read", ["i32", "i32", "i64"], ["i64"], ReturnsBuffer: true);

    /// <summary><c>write(table_ptr, table_len, row_id: i64, data_ptr, data_len) -&gt; i32</c>: inserts or replaces a row.</summary>
    public static readonly HostFunction Write = new("write", ["i32", "i32", "i64", "i32", "i32"], ["i32"]);

    /// <summary><c>delete(table_ptr, table_len, row_id: i64) -&gt; i32</c>: deletes a row (needs write access).</summary>
    public static readonly HostFunction Delete = new("delete", ["i32", "i32", "i64"], ["i32"]);

    /// <summary><c>scan(table_ptr, table_len, start_row: i64, limit: i32) -&gt; i64</c>: rows from <c>start_row</c> in id order.</summary>
    public static readonly HostFunction Scan = new("scan", ["i32", "i32", "i64", "i32"], ["i64"], ReturnsBuffer: true);

    /// <summary><c>vector_search(index_ptr, index_len, vector_ptr, dims: i32, top_k: i32) -&gt; i64</c>: nearest hits, 12 bytes each.</summary>
    public static readonly HostFunction VectorSearch = new("vector_search", ["i32", "i32", "i32", "i32", "i32"], ["i64"], ReturnsBuffer: true);

    /// <summary><c>emit_metric(kind: i32, name_ptr, name_len, value: f64) -&gt; i32</c>: 0 counter, 1 gauge, 2 histogram.</summary>
    public static readonly HostFunction EmitMetric = new("emit_metric", ["i32", "i32", "i32", "f64"], ["i32"]);

    /// <summary><c>get_config(key_ptr, key_len) -&gt; i64</c>: a value from the manifest's <c>[config]</c>.</summary>
    public static readonly HostFunction GetConfig = new("get_config", ["i32", "i32"], ["i64"], ReturnsBuffer: true);

    /// <summary>
    /// <c>call_plugin(plugin_ptr, plugin_len, fn_ptr, fn_len, input_ptr, input_len) -&gt; i64</c>: calls another plugin's
    /// <c>bytes -&gt; bytes</c> export in its own worker, under its own limits, within the caller's deadline.
    /// </summary>
    public static readonly HostFunction CallPlugin = new("call_plugin", ["i32", "i32", "i32", "i32", "i32", "i32"], ["i64"], ReturnsBuffer: true);

    /// <summary>
    /// <c>index_lookup(index_ptr, index_len, key_ptr, key_len, limit: i32) -&gt; i64</c>: the row ids a secondary-index
    /// key points to, as <c>u32 count</c> then <c>count</c> × <c>i64</c>, ascending. Needs <c>can_index_search</c>.
    /// </summary>
    public static readonly HostFunction IndexLookup = new("index_lookup", ["i32", "i32", "i32", "i32", "i32"], ["i64"], ReturnsBuffer: true);

    /// <summary>Gets every host function, by import name.</summary>
    public static IReadOnlyDictionary<string, HostFunction> Functions { get; } =
        new[] { Log, Read, Write, Delete, Scan, VectorSearch, IndexLookup, EmitMetric, GetConfig, CallPlugin }.ToDictionary(f => f.Name, StringComparer.Ordinal);
}

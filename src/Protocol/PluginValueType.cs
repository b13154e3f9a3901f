namespace SochDb.Isolated.Protocol;

/// <summary>The value types that cross the plugin boundary.</summary>
/// <remarks>The numeric values are part of the wire contract: never renumber.</remarks>
public enum PluginValueType
{
    /// <summary>A 32-bit integer (wasm <c>i32</c>).</summary>
    I32 = 1,

    /// <summary>A 64-bit integer (wasm <c>i64</c>).</summary>
    I64 = 2,

    /// <summary>A 32-bit float (wasm <c>f32</c>).</summary>
    F32 = 3,

    /// <summary>A 64-bit float (wasm <c>f64</c>).</summary>
    F64 = 4,

    /// <summary>A byte buffer, passed through guest memory as <c>(ptr, len)</c>.</summary>
    Bytes = 5,

    /// <summary>A UTF-8 string, passed through guest memory as <c>(ptr, len)</c>.</summary>
    String = 6,
}

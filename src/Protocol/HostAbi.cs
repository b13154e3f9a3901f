namespace SochDb.Isolated.Protocol;

/// <summary>
/// The host functions this protocol version offers under the <see cref="ProtocolConstants.HostModule"/> import module,
/// with their exact wasm signatures. A module that imports anything else is rejected at load.
/// </summary>
public static class HostAbi
{
    /// <summary>A host function's wasm signature, in wasm value type names (<c>i32</c>, <c>i64</c>, <c>f32</c>, <c>f64</c>).</summary>
    /// <param name="Name">The import name.</param>
    /// <param name="Params">The parameter types.</param>
    /// <param name="Results">The result types.</param>
    public sealed record HostFunction(string Name, IReadOnlyList<string> Params, IReadOnlyList<string> Results);

    /// <summary><c>log(level: i32, ptr: i32, len: i32)</c>: writes a UTF-8 message to the plugin's log (0 debug, 1 info, 2 warn, 3 error).</summary>
    public static readonly HostFunction Log = new("log", ["i32", "i32", "i32"], []);

    /// <summary>Gets every host function, by import name.</summary>
    public static IReadOnlyDictionary<string, HostFunction> Functions { get; } =
        new Dictionary<string, HostFunction>(StringComparer.Ordinal) { [Log.Name] = Log };
}

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The <c>[exports]</c> section.</summary>
public sealed class ExportedFunctions
{
    /// <summary>Gets the exported function names the plugin promises.</summary>
    public IReadOnlyList<string> Functions { get; init; } = [];

    /// <summary>Gets the typed signatures from <c>[exports.signatures.&lt;fn&gt;]</c>, keyed by function name.</summary>
    public IReadOnlyDictionary<string, FunctionSignature> Signatures { get; init; } = new Dictionary<string, FunctionSignature>(StringComparer.Ordinal);
}

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>
/// A validated plugin manifest: who the plugin is, what it may touch, what it may consume and what it exports.
/// </summary>
/// <remarks>
/// Instances come from <see cref="ManifestParser"/>, which rejects unknown keys and out-of-range values, so a
/// <see cref="PluginManifest"/> is always valid on its own. Consistency with a compiled module (exports present,
/// signatures matching) is checked by the supervisor when the plugin loads.
/// </remarks>
public sealed class PluginManifest
{
    /// <summary>Gets the <c>[plugin]</c> section.</summary>
    public required PluginMetadata Plugin { get; init; }

    /// <summary>Gets the <c>[capabilities]</c> section; everything is denied by default.</summary>
    public ManifestCapabilities Capabilities { get; init; } = new();

    /// <summary>Gets the <c>[resources]</c> section.</summary>
    public ResourceLimits Resources { get; init; } = new();

    /// <summary>Gets the <c>[exports]</c> section.</summary>
    public ExportedFunctions Exports { get; init; } = new();

    /// <summary>Gets the <c>[hooks]</c> section.</summary>
    public TableHooks Hooks { get; init; } = new();

    /// <summary>Gets the <c>[config]</c> values, keyed by name.</summary>
    public IReadOnlyDictionary<string, ConfigValue> Config { get; init; } = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);

    /// <summary>Gets the <c>[config_schema.&lt;name&gt;]</c> fields, in file order; empty when the manifest declares no schema.</summary>
    public IReadOnlyList<ConfigField> ConfigSchema { get; init; } = [];

    /// <summary>Gets the path of the manifest file this was read from, or <see langword="null"/> when parsed from text.</summary>
    public string? SourcePath { get; init; }

    /// <summary>
    /// Gets the absolute path of the module named by <c>[plugin] wasm</c>, resolved against the manifest's folder,
    /// or <see langword="null"/> when the key is absent (the caller then supplies the module).
    /// </summary>
    public string? WasmPath { get; init; }
}

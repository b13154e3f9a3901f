namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>A plugin the host loads at start (<see cref="IsolatedPluginsOptions.Plugins"/>).</summary>
public sealed class PluginDeclaration
{
    /// <summary>Gets or sets the id to load it under: 1 to 128 ASCII letters, digits, <c>-</c>, <c>_</c> or <c>.</c>; unique.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Gets or sets the manifest file (TOML). A relative path is relative to the host's content root.</summary>
    public string Manifest { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the module file (<c>.wasm</c>, or <c>.wat</c> text), overriding the manifest's <c>wasm</c> key
    /// (default <see langword="null"/> or empty: the manifest's). A relative path is relative to the host's content root.
    /// </summary>
    public string? Wasm { get; set; }
}

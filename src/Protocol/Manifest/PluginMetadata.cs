namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The <c>[plugin]</c> section of a manifest.</summary>
public sealed class PluginMetadata
{
    /// <summary>Gets the plugin name: letters, digits, <c>-</c> and <c>_</c> only. Required.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the plugin version. Required, non-empty.</summary>
    public required string Version { get; init; }

    /// <summary>Gets the free-text description.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Gets the author.</summary>
    public string Author { get; init; } = string.Empty;

    /// <summary>Gets the SPDX licence identifier, if given.</summary>
    public string? License { get; init; }

    /// <summary>Gets the homepage URL, if given.</summary>
    public string? Homepage { get; init; }

    /// <summary>Gets the repository URL, if given.</summary>
    public string? Repository { get; init; }

    /// <summary>Gets the minimum kernel version the plugin asks for, if given.</summary>
    public string? MinKernelVersion { get; init; }

    /// <summary>Gets the module file name exactly as written in <c>wasm = "…"</c>, if given.</summary>
    public string? Wasm { get; init; }
}

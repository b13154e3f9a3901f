namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The outcome of parsing a manifest: a manifest, or the problems that prevented one.</summary>
/// <param name="Manifest">The manifest, or <see langword="null"/> when <paramref name="Diagnostics"/> is not empty.</param>
/// <param name="Diagnostics">Every problem found, in file order.</param>
public sealed record ManifestParseResult(PluginManifest? Manifest, IReadOnlyList<ManifestDiagnostic> Diagnostics)
{
    /// <summary>Gets a value indicating whether the manifest parsed and validated.</summary>
    public bool Success => Manifest is not null && Diagnostics.Count == 0;
}

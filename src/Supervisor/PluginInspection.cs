using SochDb.Isolated.Protocol.Manifest;

namespace SochDb.Isolated.Supervisor;

/// <summary>What <see cref="PluginInspector"/> found in a manifest and its module.</summary>
/// <param name="Path">The file inspected.</param>
/// <param name="Manifest">The manifest, when one was given and it parsed.</param>
/// <param name="ModulePath">The module inspected, if any.</param>
/// <param name="ModuleSha256">The module's SHA-256, when it was read.</param>
/// <param name="ModuleSize">The module's size in bytes, when it was read.</param>
/// <param name="Exports">The module's exports.</param>
/// <param name="Imports">The module's imports, each marked allowed or not.</param>
/// <param name="Problems">Every problem, with file, line and column where known; empty when the plugin would load.</param>
public sealed record PluginInspection(
    string Path,
    PluginManifest? Manifest,
    string? ModulePath,
    string? ModuleSha256,
    long? ModuleSize,
    IReadOnlyList<ModuleExport> Exports,
    IReadOnlyList<ModuleImport> Imports,
    IReadOnlyList<ManifestDiagnostic> Problems)
{
    /// <summary>Gets a value indicating whether no problem was found.</summary>
    public bool IsValid => Problems.Count == 0;
}

/// <summary>An export of a module.</summary>
/// <param name="Name">The export name.</param>
/// <param name="Kind">function, memory, table or global.</param>
/// <param name="Type">The wasm type, e.g. <c>(i32, i32) -&gt; (i32)</c> or <c>1 pages</c>.</param>
public sealed record ModuleExport(string Name, string Kind, string Type);

/// <summary>An import of a module.</summary>
/// <param name="Module">The import module.</param>
/// <param name="Name">The import name.</param>
/// <param name="Kind">function, memory, table or global.</param>
/// <param name="Type">The wasm type.</param>
/// <param name="Allowed">Whether the host ABI offers it with that type.</param>
public sealed record ModuleImport(string Module, string Name, string Kind, string Type, bool Allowed);

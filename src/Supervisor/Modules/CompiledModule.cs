using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor.Modules;

/// <summary>A module compiled and checked by the supervisor, ready to ship to workers.</summary>
/// <param name="Sha256">The lower-case hex SHA-256 of the module's bytes.</param>
/// <param name="Artifact">The precompiled artifact (<c>Module.Serialize</c>) the workers deserialize.</param>
/// <param name="Functions">The exported functions with their wasm parameter and result types.</param>
/// <param name="HasMemory">Whether the module exports <c>memory</c>.</param>
internal sealed record CompiledModule(
    string Sha256,
    byte[] Artifact,
    IReadOnlyDictionary<string, CompiledModule.ExportedFunction> Functions,
    bool HasMemory)
{
    /// <summary>An exported function's wasm signature; <see langword="null"/> entries are types that cannot cross (v128, references).</summary>
    /// <param name="Params">The parameter types.</param>
    /// <param name="Results">The result types.</param>
    internal sealed record ExportedFunction(IReadOnlyList<PluginValueType?> Params, IReadOnlyList<PluginValueType?> Results);
}

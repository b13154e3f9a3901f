using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;

namespace SochDb.Isolated.Supervisor;

/// <summary>The manifest is malformed or does not match its module (<see cref="ErrorKind.InvalidManifest"/>).</summary>
public sealed class InvalidManifestException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="InvalidManifestException"/> class.</summary>
    /// <param name="pluginId">The plugin being loaded.</param>
    /// <param name="diagnostics">Every problem, with file, line and column where known.</param>
    public InvalidManifestException(string? pluginId, IReadOnlyList<ManifestDiagnostic> diagnostics)
        : base(ErrorKind.InvalidManifest, pluginId, "invalid manifest: " + string.Join("; ", diagnostics)) => Diagnostics = diagnostics;

    /// <summary>Gets every problem found.</summary>
    public IReadOnlyList<ManifestDiagnostic> Diagnostics { get; }
}

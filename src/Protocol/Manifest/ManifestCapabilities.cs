namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The <c>[capabilities]</c> section: deny by default.</summary>
public sealed class ManifestCapabilities
{
    /// <summary>Gets the table patterns the plugin may read (<c>*</c>, <c>prefix*</c> or exact, case-sensitive).</summary>
    public IReadOnlyList<string> CanReadTable { get; init; } = [];

    /// <summary>Gets the table patterns the plugin may write. Read access does not imply write access.</summary>
    public IReadOnlyList<string> CanWriteTable { get; init; } = [];

    /// <summary>Gets a value indicating whether the plugin may search vector indexes.</summary>
    public bool CanVectorSearch { get; init; }

    /// <summary>Gets a value indicating whether the plugin may search secondary indexes.</summary>
    public bool CanIndexSearch { get; init; }

    /// <summary>Gets the ids of the plugins this plugin may call.</summary>
    public IReadOnlyList<string> CanCallPlugin { get; init; } = [];
}

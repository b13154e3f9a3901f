namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>One problem found in a manifest, with where it is.</summary>
/// <param name="File">The manifest file, or <c>&lt;text&gt;</c> when parsed from a string.</param>
/// <param name="Line">The 1-based line, or 0 when the problem is not tied to one place (a manifest/module mismatch).</param>
/// <param name="Column">The 1-based column, or 0 with <paramref name="Line"/>.</param>
/// <param name="Message">What is wrong, naming the key or value.</param>
public sealed record ManifestDiagnostic(string File, int Line, int Column, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Line > 0 ? $"{File}({Line},{Column}): {Message}" : $"{File}: {Message}";
}

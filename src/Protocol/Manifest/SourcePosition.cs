using Tomlyn.Syntax;

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>A 1-based line and column in a manifest.</summary>
/// <remarks>
/// Tomlyn's <see cref="TextPosition"/> is 0-based (only its <c>ToString</c> adds one), while
/// <see cref="ManifestDiagnostic"/> promises 1-based positions; converting in one place keeps the two from mixing.
/// </remarks>
/// <param name="Line">The 1-based line.</param>
/// <param name="Column">The 1-based column.</param>
internal readonly record struct SourcePosition(int Line, int Column)
{
    /// <summary>Gets the start of the file, used when a problem has no better anchor (an empty or missing manifest).</summary>
    public static SourcePosition FileStart { get; } = new(1, 1);

    /// <summary>Converts a Tomlyn position, clamping the end-of-file sentinel (-1, -1) to a valid position.</summary>
    /// <param name="position">The 0-based Tomlyn position.</param>
    /// <returns>The 1-based position.</returns>
    public static SourcePosition From(TextPosition position) =>
        new(Math.Max(1, position.Line + 1), Math.Max(1, position.Column + 1));

    /// <summary>Gets the start position of a syntax node.</summary>
    /// <param name="node">The node.</param>
    /// <returns>The 1-based start position.</returns>
    public static SourcePosition Of(SyntaxNode node) => From(node.Span.Start);
}

using System.Security;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>Parses and validates TOML plugin manifests (<c>plugin.toml</c>).</summary>
/// <remarks>
/// <para>
/// The parser is strict: unknown sections and keys, values of the wrong type and out-of-range limits are all
/// errors, because a misspelt capability in a security manifest must never silently fall back to a default.
/// </para>
/// <para>
/// Bad input never throws. Every problem found is returned as a <see cref="ManifestDiagnostic"/> with a 1-based
/// line and column, in file order; <see cref="ManifestParseResult.Manifest"/> is <see langword="null"/> whenever
/// there is at least one.
/// </para>
/// </remarks>
public static class ManifestParser
{
    /// <summary>The file name diagnostics carry when the manifest has no path.</summary>
    private const string TextSourceName = "<text>";

    /// <summary>Parses and validates a manifest from text.</summary>
    /// <param name="text">The TOML text.</param>
    /// <param name="sourcePath">
    /// The file the text came from, used in diagnostics and to resolve <c>[plugin] wasm</c> relative to its folder;
    /// <see langword="null"/> for text with no file (diagnostics then name <c>&lt;text&gt;</c> and <c>wasm</c> is
    /// resolved against the current directory).
    /// </param>
    /// <returns>The manifest, or every problem found.</returns>
    public static ManifestParseResult Parse(string text, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(text);

        var diagnostics = new ManifestDiagnosticCollector(sourcePath ?? TextSourceName);
        var document = ParseSyntax(text, diagnostics);
        PluginManifest? manifest = null;
        if (document is not null)
        {
            var draft = ManifestSyntaxReader.Read(document, diagnostics);
            manifest = ManifestValidator.Validate(draft, diagnostics, sourcePath);
        }

        return diagnostics.Count == 0 && manifest is not null
            ? new ManifestParseResult(manifest, [])
            : new ManifestParseResult(null, diagnostics.ToSortedList());
    }

    /// <summary>Reads, parses and validates a manifest file.</summary>
    /// <param name="path">The manifest file.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The manifest, or every problem found; a file that cannot be read gives one diagnostic at (1,1) naming the
    /// path and the reason.
    /// </returns>
    public static async Task<ManifestParseResult> ParseFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or SecurityException)
        {
            // FileNotFoundException and friends derive from IOException; their message names the OS reason.
            var file = string.IsNullOrEmpty(path) ? TextSourceName : path;
            return new ManifestParseResult(null, [new ManifestDiagnostic(file, 1, 1, $"cannot read manifest '{path}': {ex.Message}")]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses the TOML syntax, reporting syntax errors and TOML-level semantic errors.</summary>
    /// <remarks>
    /// Tomlyn is run twice: without validation, so that pure syntax errors can be told apart (a tree with syntax
    /// errors is partial and walking it would only produce confusing follow-on errors), then with validation, whose
    /// extra errors (duplicate keys, redefined tables) leave a complete tree that is still worth checking.
    /// </remarks>
    /// <param name="text">The TOML text.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <returns>The syntax tree, or <see langword="null"/> when it has syntax errors.</returns>
    private static DocumentSyntax? ParseSyntax(string text, ManifestDiagnosticCollector diagnostics)
    {
        try
        {
            var syntaxOnly = SyntaxParser.Parse(text, diagnostics.File, validate: false);
            if (syntaxOnly.Diagnostics.Count > 0)
            {
                AddTomlDiagnostics(syntaxOnly, diagnostics, "TOML syntax error");
                return null;
            }

            var validated = SyntaxParser.Parse(text, diagnostics.File, validate: true);
            AddTomlDiagnostics(validated, diagnostics, "TOML error");
            return validated;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Tomlyn is third-party code fed untrusted text: a parser bug must surface as a diagnostic, not a crash.
            diagnostics.Add(SourcePosition.FileStart, $"TOML parser failed: {ex.Message}");
            return null;
        }
    }

    /// <summary>Copies Tomlyn's diagnostics, converting its 0-based positions.</summary>
    /// <param name="document">The parsed document.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <param name="prefix">What kind of error these are, for the message.</param>
    private static void AddTomlDiagnostics(DocumentSyntax document, ManifestDiagnosticCollector diagnostics, string prefix)
    {
        foreach (var message in document.Diagnostics)
        {
            var kind = message.Kind == DiagnosticMessageKind.Warning ? "TOML warning" : prefix;
            diagnostics.Add(SourcePosition.From(message.Span.Start), $"{kind}: {message.Message}");
        }
    }
}

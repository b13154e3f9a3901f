namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>Collects the diagnostics of one parse.</summary>
/// <remarks>
/// Reading and validation both report here rather than stopping at the first problem, so an author sees every
/// mistake in one pass; the list is sorted at the end because the checks do not run in file order.
/// </remarks>
internal sealed class ManifestDiagnosticCollector
{
    /// <summary>The diagnostics reported so far, in report order.</summary>
    private readonly List<ManifestDiagnostic> diagnostics = [];

    /// <summary>Initializes a new instance of the <see cref="ManifestDiagnosticCollector"/> class.</summary>
    /// <param name="file">The file name every diagnostic carries.</param>
    public ManifestDiagnosticCollector(string file) => File = file;

    /// <summary>Gets the file name every diagnostic carries.</summary>
    public string File { get; }

    /// <summary>Gets the number of diagnostics reported so far.</summary>
    public int Count => diagnostics.Count;

    /// <summary>Reports a problem.</summary>
    /// <param name="position">Where the problem is.</param>
    /// <param name="message">What is wrong, naming the key or value.</param>
    public void Add(SourcePosition position, string message) =>
        diagnostics.Add(new ManifestDiagnostic(File, position.Line, position.Column, message));

    /// <summary>Returns the diagnostics in file order, without exact duplicates.</summary>
    /// <remarks>Tomlyn can report the same syntax error twice; a stable sort keeps report order within a position.</remarks>
    /// <returns>The sorted diagnostics.</returns>
    public IReadOnlyList<ManifestDiagnostic> ToSortedList() =>
        [.. diagnostics.Distinct().OrderBy(d => d.Line).ThenBy(d => d.Column)];
}

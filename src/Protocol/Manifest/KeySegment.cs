namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>One segment of a table name or dotted key.</summary>
/// <remarks>
/// Table headers, dotted keys and inline tables are flattened into one path of segments so that
/// <c>[exports.signatures.f]</c>, <c>signatures.f.params = …</c> and <c>signatures.f = { params = … }</c> are handled
/// by the same code, while each segment keeps its own position for diagnostics.
/// </remarks>
/// <param name="Name">The segment's name, unquoted.</param>
/// <param name="Position">Where the segment starts.</param>
internal readonly record struct KeySegment(string Name, SourcePosition Position);

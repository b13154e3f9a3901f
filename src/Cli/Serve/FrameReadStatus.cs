namespace SochDb.Isolated.Cli.Serve;

/// <summary>What <see cref="FrameReader.ReadAsync"/> found.</summary>
internal enum FrameReadStatus
{
    /// <summary>A complete frame; its body is in <see cref="FrameReadResult.Body"/>.</summary>
    Frame,

    /// <summary>
    /// The header block was unusable (no or a bad <c>Content-Length</c>, a line that is not a header, too long a
    /// header). The body's extent is unknown, so the reader resynchronises on the next <c>Content-Length:</c>.
    /// </summary>
    Malformed,

    /// <summary>The frame declared more bytes than the limit. Its body is skipped unread, which keeps the framing exact.</summary>
    Oversized,

    /// <summary>The input ended (cleanly between frames, or in the middle of one).</summary>
    EndOfStream,
}

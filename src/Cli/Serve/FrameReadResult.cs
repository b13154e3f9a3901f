namespace SochDb.Isolated.Cli.Serve;

/// <summary>One result of <see cref="FrameReader.ReadAsync"/>.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Body">The frame's body for <see cref="FrameReadStatus.Frame"/>; empty otherwise.</param>
/// <param name="Error">Why the frame was refused, for <see cref="FrameReadStatus.Malformed"/> and <see cref="FrameReadStatus.Oversized"/>.</param>
internal sealed record FrameReadResult(FrameReadStatus Status, ReadOnlyMemory<byte> Body, string? Error)
{
    /// <summary>Gets the result for the end of the input.</summary>
    public static FrameReadResult End { get; } = new(FrameReadStatus.EndOfStream, ReadOnlyMemory<byte>.Empty, null);

    /// <summary>Creates the result for a complete frame.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The result.</returns>
    public static FrameReadResult Frame(ReadOnlyMemory<byte> body) => new(FrameReadStatus.Frame, body, null);

    /// <summary>Creates the result for an unusable header block.</summary>
    /// <param name="error">What was wrong.</param>
    /// <returns>The result.</returns>
    public static FrameReadResult Malformed(string error) => new(FrameReadStatus.Malformed, ReadOnlyMemory<byte>.Empty, error);

    /// <summary>Creates the result for a frame over the size limit.</summary>
    /// <param name="error">What was wrong.</param>
    /// <returns>The result.</returns>
    public static FrameReadResult Oversized(string error) => new(FrameReadStatus.Oversized, ReadOnlyMemory<byte>.Empty, error);
}

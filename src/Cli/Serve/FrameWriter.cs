using System.Globalization;
using System.Text;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// Writes LSP-style frames (<c>Content-Length: N\r\n\r\n</c> + body) to a stream. Responses are written by many
/// request tasks at once; a semaphore keeps each frame whole.
/// </summary>
internal sealed class FrameWriter : IDisposable
{
    private readonly Stream output;
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Initializes a new instance of the <see cref="FrameWriter"/> class.</summary>
    /// <param name="output">The stream to write; not disposed.</param>
    public FrameWriter(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        this.output = output;
    }

    /// <summary>Writes one frame and flushes it, so a client waiting for this answer gets it now.</summary>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <param name="cancellationToken">Stops waiting for the stream.</param>
    /// <returns>A task that completes when the frame is flushed.</returns>
    /// <exception cref="IOException">The stream failed (the client went away).</exception>
    public async Task WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        // Header and body go out in one write: fewer syscalls, and a reader never sees a header without its body.
        var header = string.Create(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n");
        var frame = new byte[Encoding.ASCII.GetByteCount(header) + body.Length];
        var headerLength = Encoding.ASCII.GetBytes(header, frame);
        body.Span.CopyTo(frame.AsSpan(headerLength));

        await gate.WaitAsync(cancellationToken);
        try
        {
            await output.WriteAsync(frame, cancellationToken);
            await output.FlushAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => gate.Dispose();
}

using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// Wraps the supervisor's end of a worker channel and checks every frame header the worker sends before the message
/// handler sees it, so a hostile worker cannot make the supervisor buffer more than the limit for one message.
/// </summary>
/// <remarks>
/// <para>
/// StreamJsonRpc's handlers trust the peer: the length-prefixed handler asks its pipe for as many bytes as the prefix
/// claims, and the header-delimited handler buffers a header line until it finds a line feed. Checking here, on the
/// raw bytes, works the same for every <see cref="WireFormat"/> and needs no knowledge of the handlers' internals.
/// </para>
/// <para>
/// Bytes before an offending header are passed on; the header's last byte never is, and the next read throws. The
/// handler therefore never holds a complete oversized header. Reads are not thread-safe (one reader, as JSON-RPC does);
/// writes pass straight through.
/// </para>
/// </remarks>
internal sealed class FrameLimitStream : Stream
{
    /// <summary>The longest header line the header-delimited format may send (StreamJsonRpc writes about 60 bytes).</summary>
    internal const int MaxHeaderLineBytes = 1024;

    /// <summary>The longest header block the header-delimited format may send before its empty line.</summary>
    internal const int MaxHeaderBlockBytes = 8 * 1024;

    private const string ContentLengthName = "Content-Length:";

    private readonly Stream inner;
    private readonly bool lengthPrefixed;
    private readonly long maxMessageBytes;
    private readonly byte[] line = new byte[MaxHeaderLineBytes];
    private int headerFill;
    private uint prefix;
    private int lineLength;
    private int blockLength;
    private long? contentLength;
    private long bodyRemaining;
    private string? violation;

    /// <summary>Initializes a new instance of the <see cref="FrameLimitStream"/> class.</summary>
    /// <param name="inner">The connected channel; owned by this stream.</param>
    /// <param name="format">The channel's framing.</param>
    /// <param name="maxMessageBytes">The largest message body accepted.</param>
    public FrameLimitStream(Stream inner, WireFormat format, long maxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 1);
        this.inner = inner;
        lengthPrefixed = format is not WireFormat.JsonHeaders;
        this.maxMessageBytes = maxMessageBytes;
    }

    /// <summary>Gets what the peer sent that broke the limits, once it has; <see langword="null"/> until then.</summary>
    public string? Violation => Volatile.Read(ref violation);

    /// <inheritdoc/>
    public override bool CanRead => inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => inner.CanWrite;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        ThrowIfViolated();
        var read = inner.Read(buffer);
        return Accept(buffer[..read]);
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfViolated();
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Accept(buffer.Span[..read]);
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => inner.WriteAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        => inner.WriteAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ThrowIfViolated()
    {
        if (Violation is { } problem)
        {
            throw new InvalidDataException(problem);
        }
    }

    /// <summary>Scans freshly read bytes and returns how many of them the handler may see.</summary>
    private int Accept(ReadOnlySpan<byte> chunk)
    {
        for (var i = 0; i < chunk.Length; i++)
        {
            if (bodyRemaining > 0)
            {
                // Skip the body in one step: only headers need looking at.
                var skip = (int)Math.Min(bodyRemaining, chunk.Length - i);
                bodyRemaining -= skip;
                i += skip - 1;
                continue;
            }

            var problem = lengthPrefixed ? OnPrefixByte(chunk[i]) : OnHeaderByte(chunk[i]);
            if (problem is not null)
            {
                Volatile.Write(ref violation, problem);

                // Everything before the offending byte is legitimate; the rest never reaches the handler.
                if (i == 0)
                {
                    ThrowIfViolated();
                }

                return i;
            }
        }

        return chunk.Length;
    }

    private string? OnPrefixByte(byte value)
    {
        prefix = (prefix << 8) | value;
        if (++headerFill < sizeof(uint))
        {
            return null;
        }

        var length = prefix;
        headerFill = 0;
        prefix = 0;
        if (length > maxMessageBytes)
        {
            return TooLarge(length);
        }

        bodyRemaining = length;
        return null;
    }

    private string? OnHeaderByte(byte value)
    {
        if (++blockLength > MaxHeaderBlockBytes)
        {
            return $"a header block longer than {MaxHeaderBlockBytes} bytes";
        }

        if (value != (byte)'\n')
        {
            if (lineLength == line.Length)
            {
                return $"a header line longer than {MaxHeaderLineBytes} bytes";
            }

            line[lineLength++] = value;
            return null;
        }

        var text = line.AsSpan(0, lineLength).TrimEnd((byte)'\r');
        lineLength = 0;
        if (text.IsEmpty)
        {
            // The empty line ends the headers; what follows is the body. A missing length is the handler's to report.
            blockLength = 0;
            bodyRemaining = contentLength ?? 0;
            contentLength = null;
            return null;
        }

        if (text.Length > ContentLengthName.Length && System.Text.Ascii.EqualsIgnoreCase(text[..ContentLengthName.Length], ContentLengthName))
        {
            // Trimmed and parsed as leniently as the handler does, so no value it accepts can slip past the check.
            var digits = TrimWhiteSpace(text[ContentLengthName.Length..]);
            if (System.Buffers.Text.Utf8Parser.TryParse(digits, out long length, out var consumed) && consumed == digits.Length)
            {
                if (length > maxMessageBytes)
                {
                    return TooLarge(length);
                }

                contentLength = Math.Max(0, length);
            }
        }

        return null;
    }

    private static ReadOnlySpan<byte> TrimWhiteSpace(ReadOnlySpan<byte> value)
    {
        while (!value.IsEmpty && char.IsWhiteSpace((char)value[0]))
        {
            value = value[1..];
        }

        while (!value.IsEmpty && char.IsWhiteSpace((char)value[^1]))
        {
            value = value[..^1];
        }

        return value;
    }

    private string TooLarge(long length)
        => $"a frame of {length} bytes, over the limit of {maxMessageBytes} bytes (MaxMessageBytes)";
}

using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// Reads LSP-style frames — <c>Content-Length: N\r\n</c>, optional other headers, <c>\r\n</c>, then N bytes — from a
/// stream, and recovers from bad input instead of giving up: the <c>serve</c> protocol must keep serving after a
/// client's mistake.
/// </summary>
/// <remarks>
/// <para>
/// Recovery: a frame over the size limit still declares its length, so its body is skipped exactly and the next
/// frame is read normally. A header block that is unusable (no <c>Content-Length</c>, a bad value, a line that is not
/// a header, no blank line within <see cref="MaxHeaderBytes"/>) says nothing reliable about where its body ends, so
/// the reader scans forward to the next <c>Content-Length:</c> (any case) and starts a header block there. The scan
/// starts one byte into the bad block — so a good frame glued behind junk is recovered, e.g. after a body that was
/// longer than its header said — or, when the bad line was a <c>Content-Length</c> header, just after that line.
/// </para>
/// <para>Not thread-safe: one read loop owns it.</para>
/// </remarks>
internal sealed class FrameReader
{
    /// <summary>The longest header block accepted, terminator included.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    private const int InitialBufferBytes = 16 * 1024;

    private readonly Stream input;
    private readonly long maxFrameBytes;
    private byte[] buffer = new byte[InitialBufferBytes];
    private int start;
    private int end;
    private long pendingSkip;
    private bool resync;

    /// <summary>Initializes a new instance of the <see cref="FrameReader"/> class.</summary>
    /// <param name="input">The stream to read; not disposed.</param>
    /// <param name="maxFrameBytes">The largest body accepted (at most <see cref="Array.MaxLength"/>); larger frames are skipped and reported.</param>
    public FrameReader(Stream input, long maxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrameBytes, Array.MaxLength);
        this.input = input;
        this.maxFrameBytes = maxFrameBytes;
    }

    private static ReadOnlySpan<byte> HeaderTerminator => "\r\n\r\n"u8;

    private static ReadOnlySpan<byte> LineBreak => "\r\n"u8;

    private static ReadOnlySpan<byte> ContentLengthMarker => "content-length:"u8;

    private ReadOnlySpan<byte> Available => buffer.AsSpan(start, end - start);

    /// <summary>Reads the next frame, or reports why the next bytes are not one.</summary>
    /// <param name="cancellationToken">Stops waiting for input.</param>
    /// <returns>The frame, a refusal to answer with an error, or the end of the input.</returns>
    /// <exception cref="IOException">The stream failed.</exception>
    public async ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        if (pendingSkip > 0 && !await SkipPendingAsync(cancellationToken))
        {
            return FrameReadResult.End;
        }

        if (resync)
        {
            if (!await ResyncAsync(cancellationToken))
            {
                return FrameReadResult.End;
            }

            resync = false;
        }

        int terminator;
        var searched = 0;
        while (true)
        {
            if (searched == 0)
            {
                // Blank lines between frames are tolerated: some clients end every body with a line break.
                SkipLineBreaks();
            }

            // Search only the new bytes (and a terminator's length before them): a header trickled in byte by byte
            // must not cost quadratic time.
            var from = Math.Max(0, searched - (HeaderTerminator.Length - 1));
            var found = Available[from..].IndexOf(HeaderTerminator);
            terminator = found < 0 ? -1 : from + found;
            if (terminator >= 0 || end - start >= MaxHeaderBytes)
            {
                break;
            }

            searched = end - start;
            if (!await FillAsync(cancellationToken))
            {
                return start == end ? FrameReadResult.End : EndTruncated($"the input ended inside a header block ({end - start} bytes)");
            }
        }

        if (terminator < 0 || terminator + HeaderTerminator.Length > MaxHeaderBytes)
        {
            return Refuse($"no blank line ends the headers within {MaxHeaderBytes} bytes", 1);
        }

        var error = ParseHeaders(buffer.AsSpan(start, terminator), out var length, out var resyncFrom);
        if (error is not null)
        {
            return Refuse(error, resyncFrom);
        }

        start += terminator + HeaderTerminator.Length;
        if (length > maxFrameBytes)
        {
            pendingSkip = length;
            return FrameReadResult.Oversized($"the frame's {length} bytes exceed the limit of {maxFrameBytes} bytes; it was skipped");
        }

        var body = new byte[length];
        var buffered = (int)Math.Min(length, end - start);
        Available[..buffered].CopyTo(body);
        start += buffered;
        if (buffered < length)
        {
            // Read the rest straight into the body: no reason to pass megabytes through the header buffer.
            var read = await input.ReadAtLeastAsync(body.AsMemory(buffered), body.Length - buffered, throwOnEndOfStream: false, cancellationToken);
            if (read < body.Length - buffered)
            {
                return EndTruncated($"the input ended inside a frame body ({buffered + read} of {length} bytes)");
            }
        }

        return FrameReadResult.Frame(body);
    }

    /// <summary>Checks a header block (without its terminator) and finds the body length.</summary>
    /// <param name="block">The header lines, separated by CRLF.</param>
    /// <param name="length">The <c>Content-Length</c>.</param>
    /// <param name="resyncFrom">When the block is bad: the offset in it where the search for the next frame starts.</param>
    /// <returns><see langword="null"/> when the block is usable; otherwise what is wrong.</returns>
    private static string? ParseHeaders(ReadOnlySpan<byte> block, out long length, out int resyncFrom)
    {
        length = -1;
        resyncFrom = 1;
        var offset = 0;
        while (offset <= block.Length)
        {
            var rest = block[offset..];
            var lineEnd = rest.IndexOf(LineBreak);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            var colon = line.IndexOf((byte)':');
            var name = colon < 0 ? line : line[..colon];
            if (colon <= 0 || !IsToken(name))
            {
                // Not a header: maybe the tail of a body longer than its Content-Length said, with the next frame's
                // header glued to it. Search from just past the block's start so that header is found.
                return $"'{Printable(line)}' is not a header line (expected 'Name: value')";
            }

            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                // A bad Content-Length line is itself a header: search again only after it.
                resyncFrom = offset + line.Length;
                var value = line[(colon + 1)..].Trim(" \t"u8);

                // Digits only: Utf8Parser would also take a sign, and a negative or signed length is a client bug.
                if (value.IsEmpty || value.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                    || !Utf8Parser.TryParse(value, out long parsed, out var consumed) || consumed != value.Length)
                {
                    return $"Content-Length '{Printable(value)}' is not a number of bytes";
                }

                if (length >= 0 && length != parsed)
                {
                    return $"two different Content-Length headers ({length.ToString(CultureInfo.InvariantCulture)} and {parsed.ToString(CultureInfo.InvariantCulture)})";
                }

                length = parsed;
            }

            if (lineEnd < 0)
            {
                break;
            }

            offset += lineEnd + LineBreak.Length;
        }

        resyncFrom = 1;
        return length < 0 ? "the frame has no Content-Length header" : null;
    }

    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (b is <= 0x20 or >= 0x7F or (byte)'"' or (byte)'(' or (byte)')' or (byte)',' or (byte)'/' or (byte)';' or (byte)'<' or (byte)'>' or (byte)'@' or (byte)'[' or (byte)'\\' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'=' or (byte)'?')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Renders header bytes for an error message: at most 80 characters, non-printables as '?'.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(Math.Min(bytes.Length, 80) + 1);
        foreach (var b in bytes[..Math.Min(bytes.Length, 80)])
        {
            builder.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }

        return bytes.Length > 80 ? builder.Append('…').ToString() : builder.ToString();
    }

    private static FrameReadResult EndTruncated(string error) => new(FrameReadStatus.EndOfStream, ReadOnlyMemory<byte>.Empty, error);

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> lowerCaseNeedle)
    {
        for (var i = 0; i + lowerCaseNeedle.Length <= haystack.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(haystack.Slice(i, lowerCaseNeedle.Length), lowerCaseNeedle))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Reports a bad header block and arranges to resynchronise from <paramref name="resyncFrom"/> bytes into it.</summary>
    private FrameReadResult Refuse(string error, int resyncFrom)
    {
        start += resyncFrom;
        resync = true;
        return FrameReadResult.Malformed(error);
    }

    private void SkipLineBreaks()
    {
        while (start < end && buffer[start] is (byte)'\r' or (byte)'\n')
        {
            start++;
        }
    }

    /// <summary>Discards bytes up to the next <c>Content-Length:</c>.</summary>
    /// <returns><see langword="false"/> when the input ended first.</returns>
    private async ValueTask<bool> ResyncAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var found = IndexOfIgnoreCase(Available, ContentLengthMarker);
            if (found >= 0)
            {
                start += found;
                return true;
            }

            // Keep a tail that could be the start of the marker split across reads.
            start = Math.Max(start, end - (ContentLengthMarker.Length - 1));
            if (!await FillAsync(cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>Discards the body of an oversized frame.</summary>
    /// <returns><see langword="false"/> when the input ended first.</returns>
    private async ValueTask<bool> SkipPendingAsync(CancellationToken cancellationToken)
    {
        while (pendingSkip > 0)
        {
            if (start == end && !await FillAsync(cancellationToken))
            {
                return false;
            }

            var skipped = (int)Math.Min(pendingSkip, end - start);
            start += skipped;
            pendingSkip -= skipped;
        }

        return true;
    }

    /// <summary>Reads more input into the buffer, compacting or growing it first when it is full.</summary>
    /// <returns><see langword="false"/> at the end of the input.</returns>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (start == end)
        {
            start = end = 0;
        }

        if (end == buffer.Length)
        {
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            else
            {
                // Only a header block still being searched fills the buffer; it is bounded by MaxHeaderBytes.
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }

        var read = await input.ReadAsync(buffer.AsMemory(end), cancellationToken);
        end += read;
        return read > 0;
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace SochDb.Isolated.Protocol.Direct;

/// <summary>
/// Reads frames of the direct call lane from a blocking socket, on one thread. A read that times out keeps what it
/// already received, so the next read continues the same frame: a timeout never loses the stream's framing.
/// </summary>
public sealed class DirectFrameReader
{
    /// <summary>The buffer kept between frames; a larger one, grown for a large frame, is dropped once it is read.</summary>
    private const int DefaultBufferBytes = 64 * 1024;

    private readonly Socket socket;
    private readonly long maxPayloadBytes;
    private byte[] buffer = new byte[DefaultBufferBytes];
    private int start;
    private int end;

    /// <summary>Initializes a new instance of the <see cref="DirectFrameReader"/> class.</summary>
    /// <param name="socket">A connected, blocking stream socket this reader alone reads.</param>
    /// <param name="maxPayloadBytes">The largest payload accepted; a larger length is a malformed frame.</param>
    public DirectFrameReader(Socket socket, long maxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadBytes, 1);
        this.socket = socket;
        this.maxPayloadBytes = Math.Min(maxPayloadBytes, Array.MaxLength - DirectFrame.HeaderBytes);
    }

    /// <summary>Gets a value indicating whether bytes of a next frame are already buffered (a read would not wait for the socket first).</summary>
    public bool HasBufferedBytes => end > start;

    /// <summary>
    /// Polls the socket for up to <paramref name="spin"/> before a blocking read, so that a frame due within that time is
    /// taken without the thread blocking and waking again (a wake-up of a halted vCPU costs tens of microseconds on a VM).
    /// </summary>
    /// <param name="spin">The longest to poll.</param>
    /// <returns><see langword="true"/> when bytes arrived (or were buffered) in time.</returns>
    public bool SpinForBytes(TimeSpan spin)
    {
        if (HasBufferedBytes)
        {
            return true;
        }

        var until = Stopwatch.GetTimestamp() + (long)(spin.TotalSeconds * Stopwatch.Frequency);
        for (var round = 1; socket.Available == 0; round++)
        {
            if (Stopwatch.GetTimestamp() >= until)
            {
                return false;
            }

            Pause(round);
        }

        return true;
    }

    /// <summary>
    /// One round of a poll: about a microsecond of spinning, and every eighth round a yield, so that a poll gives its
    /// core to any other thread ready to run there (on a busy machine, the one that would send what the poll waits for).
    /// </summary>
    /// <param name="round">The round's number, from 1.</param>
    public static void Pause(int round)
    {
        if (round % 8 == 0)
        {
            Thread.Yield();
        }
        else
        {
            Thread.SpinWait(20);
        }
    }

    /// <summary>Reads the next frame.</summary>
    /// <param name="timeout">
    /// How long to wait for it; <see langword="null"/> waits as long as it takes, <see cref="TimeSpan.Zero"/> takes only
    /// what has already arrived.
    /// </param>
    /// <param name="frame">The frame; its payload is valid until the next read.</param>
    /// <returns><see langword="false"/> when the time ran out first.</returns>
    /// <exception cref="EndOfStreamException">The peer closed the lane (at a frame's boundary or inside one).</exception>
    /// <exception cref="InvalidDataException">The header is malformed: unknown kind, non-zero reserved bytes, or a payload over the limit.</exception>
    /// <exception cref="SocketException">The lane failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public bool TryRead(TimeSpan? timeout, out DirectFrame frame)
    {
        frame = default;
        var deadline = timeout is { } t ? Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        if (!Fill(DirectFrame.HeaderBytes, deadline))
        {
            return false;
        }

        var header = buffer.AsSpan(start, DirectFrame.HeaderBytes);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var kind = header[4];
        if (!DirectFrame.IsKnown(kind) || header[5] != 0 || header[6] != 0 || header[7] != 0)
        {
            throw new InvalidDataException($"a direct-lane frame header is malformed (kind {kind}, reserved bytes {header[5]:x2}{header[6]:x2}{header[7]:x2})");
        }

        if (length > maxPayloadBytes)
        {
            throw new InvalidDataException($"a direct-lane frame of {length} bytes exceeds the limit of {maxPayloadBytes} bytes");
        }

        var id = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (!Fill(DirectFrame.HeaderBytes + (int)length, deadline))
        {
            return false;
        }

        frame = new DirectFrame((DirectFrameKind)kind, id, buffer.AsMemory(start + DirectFrame.HeaderBytes, (int)length));
        start += DirectFrame.HeaderBytes + (int)length;
        return true;
    }

    /// <summary>
    /// Makes at least <paramref name="count"/> unread bytes available, receiving until the deadline. The buffer grows
    /// with what arrives (doubling), never to a size a header merely claims: a peer must send the bytes it announces
    /// before this end holds memory for them.
    /// </summary>
    private bool Fill(int count, long deadline)
    {
        if (end - start >= count)
        {
            return true;
        }

        Compact();
        while (end - start < count)
        {
            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(count, Math.Max(buffer.Length * 2L, DefaultBufferBytes)));
            }

            if (deadline != long.MaxValue && socket.Available == 0)
            {
                // Bytes already there are taken whatever the time: a zero timeout reads what has arrived, never waits.
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0)
                {
                    return false;
                }

                var micros = (int)Math.Min(int.MaxValue, left * 1_000_000 / Stopwatch.Frequency);
                if (!socket.Poll(Math.Max(micros, 1), SelectMode.SelectRead))
                {
                    continue;
                }
            }

            var received = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
            if (received == 0)
            {
                throw new EndOfStreamException(end == start ? "the direct lane was closed" : "the direct lane was closed inside a frame");
            }

            end += received;
        }

        return true;
    }

    /// <summary>Moves the unread bytes to the front; a buffer grown for a large frame goes back to the default size once that frame is read.</summary>
    private void Compact()
    {
        var unread = end - start;
        if (buffer.Length > DefaultBufferBytes && unread <= DefaultBufferBytes)
        {
            var smaller = new byte[DefaultBufferBytes];
            buffer.AsSpan(start, unread).CopyTo(smaller);
            buffer = smaller;
        }
        else if (start > 0)
        {
            buffer.AsSpan(start, unread).CopyTo(buffer);
        }

        start = 0;
        end = unread;
    }
}

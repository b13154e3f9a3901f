using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace SochDb.Isolated.Protocol.Direct;

/// <summary>
/// One frame of the direct call lane: a 16-byte header — payload length (<c>u32</c>, little-endian), kind (one byte),
/// three zero bytes, id (<c>i64</c>, little-endian) — then the payload, encoded in the channel's wire format.
/// </summary>
/// <remarks>
/// The lane is a second socket beside the JSON-RPC channel that carries single calls and the host calls they make, with
/// one call in flight at a time, read by a dedicated thread at each end (docs/architecture.md, "Direct calls"). The
/// payload is only valid until the reader's next read.
/// </remarks>
public readonly struct DirectFrame
{
    /// <summary>The header's length in bytes.</summary>
    public const int HeaderBytes = 16;

    /// <summary>Initializes a new instance of the <see cref="DirectFrame"/> struct.</summary>
    /// <param name="kind">What the frame carries.</param>
    /// <param name="id">The call id or host-call sequence number.</param>
    /// <param name="payload">The encoded message.</param>
    public DirectFrame(DirectFrameKind kind, long id, ReadOnlyMemory<byte> payload)
    {
        Kind = kind;
        Id = id;
        Payload = payload;
    }

    /// <summary>Gets what the frame carries.</summary>
    public DirectFrameKind Kind { get; }

    /// <summary>Gets the call id or host-call sequence number.</summary>
    public long Id { get; }

    /// <summary>Gets the encoded message, valid until the reader's next read.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Writes one frame with a single send where the socket takes it whole; blocks while the peer's buffer is full.</summary>
    /// <param name="socket">A connected, blocking stream socket. Callers serialize their writes.</param>
    /// <param name="kind">What the frame carries.</param>
    /// <param name="id">The call id or host-call sequence number.</param>
    /// <param name="payload">The encoded message.</param>
    /// <exception cref="SocketException">The peer is gone.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public static void Write(Socket socket, DirectFrameKind kind, long id, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var length = HeaderBytes + payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)payload.Length);
            span[4] = (byte)kind;
            span[5] = span[6] = span[7] = 0;
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], id);
            payload.CopyTo(span[HeaderBytes..]);
            var sent = 0;
            while (sent < length)
            {
                sent += socket.Send(buffer, sent, length - sent, SocketFlags.None);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether a byte names a frame kind this version knows.</summary>
    /// <param name="kind">The header's kind byte.</param>
    /// <returns><see langword="true"/> for a known kind.</returns>
    internal static bool IsKnown(byte kind) => kind is >= (byte)DirectFrameKind.Hello and <= (byte)DirectFrameKind.HostCallResult;
}

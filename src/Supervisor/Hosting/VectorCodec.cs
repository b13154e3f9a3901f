using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>Converts vectors to and from the stored form: little-endian IEEE 754 single-precision floats, packed.</summary>
internal static class VectorCodec
{
    /// <summary>Encodes a vector.</summary>
    /// <param name="vector">The vector.</param>
    /// <returns>Four little-endian bytes per element.</returns>
    public static byte[] Encode(ReadOnlySpan<float> vector)
    {
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(vector).ToArray();
        }

        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return bytes;
    }

    /// <summary>Decodes a vector into <paramref name="destination"/>.</summary>
    /// <param name="bytes">The stored bytes.</param>
    /// <param name="destination">Receives the elements; its length is the expected dimension count.</param>
    /// <exception cref="InvalidDataException"><paramref name="bytes"/> does not hold exactly that many elements.</exception>
    public static void Decode(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        if (bytes.Length != destination.Length * sizeof(float))
        {
            throw new InvalidDataException(
                $"A stored vector has {bytes.Length} bytes; {destination.Length * sizeof(float)} were expected for {destination.Length} dimensions.");
        }

        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
            return;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }
    }
}

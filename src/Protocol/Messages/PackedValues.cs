using System.Buffers.Binary;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>Reads and writes the eight-byte little-endian values of <see cref="PackedRows"/> and <see cref="PackedRowResults"/>.</summary>
public static class PackedValues
{
    /// <summary>The bytes one value takes.</summary>
    public const int ValueSize = sizeof(long);

    /// <summary>Gets a value indicating whether values of <paramref name="type"/> can be packed (the numeric types).</summary>
    /// <param name="type">The type.</param>
    /// <returns><see langword="true"/> for <c>i32</c>, <c>i64</c>, <c>f32</c> and <c>f64</c>.</returns>
    public static bool IsPackable(PluginValueType type) => type is PluginValueType.I32 or PluginValueType.I64 or PluginValueType.F32 or PluginValueType.F64;

    /// <summary>Reads the raw bits of value <paramref name="index"/>.</summary>
    /// <param name="values">The packed values.</param>
    /// <param name="index">The value's index (row × columns + column).</param>
    /// <returns>The bits.</returns>
    public static long Read(ReadOnlySpan<byte> values, int index) => BinaryPrimitives.ReadInt64LittleEndian(values.Slice(index * ValueSize, ValueSize));

    /// <summary>Writes the raw bits of value <paramref name="index"/>.</summary>
    /// <param name="values">The packed values.</param>
    /// <param name="index">The value's index (row × columns + column).</param>
    /// <param name="bits">The bits.</param>
    public static void Write(Span<byte> values, int index, long bits) => BinaryPrimitives.WriteInt64LittleEndian(values.Slice(index * ValueSize, ValueSize), bits);

    /// <summary>
    /// Checks that <paramref name="byteCount"/> holds exactly <paramref name="rows"/> × <paramref name="columns"/>
    /// values, without overflowing.
    /// </summary>
    /// <param name="byteCount">The buffer's length.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="columns">The values per row.</param>
    /// <returns>Whether the sizes agree.</returns>
    public static bool FitsExactly(long byteCount, long rows, long columns)
        => rows >= 0 && columns >= 0
            && (rows == 0 || columns == 0 ? byteCount == 0 : rows <= long.MaxValue / ValueSize / columns && byteCount == rows * columns * ValueSize);
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// A batch's argument rows as they go to the worker: packed into one buffer when every row has the same numeric types
/// (the usual case for a function over columns), else one <see cref="WireValue"/> per value.
/// </summary>
internal sealed class BatchRows
{
    // What a value costs on the wire besides its bytes: type tag, bits, property names in the JSON formats.
    private const long WireValueOverhead = 48;

    private BatchRows(int count, WireValue[][] rows, PackedRows? packed, long wireBytes)
    {
        Count = count;
        Rows = rows;
        Packed = packed;
        WireBytes = wireBytes;
    }

    /// <summary>Gets how many rows there are.</summary>
    public int Count { get; }

    /// <summary>Gets the unpacked rows (empty when <see cref="Packed"/> is set).</summary>
    public WireValue[][] Rows { get; }

    /// <summary>Gets the packed rows, or <see langword="null"/>.</summary>
    public PackedRows? Packed { get; }

    /// <summary>Gets about how many bytes the rows take on the wire (base64 for buffers in the JSON formats included).</summary>
    public long WireBytes { get; }

    /// <summary>Converts the caller's rows, packing them when they allow it.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="maxWireBytes">The largest size to build (larger rows are only measured, not converted).</param>
    /// <returns>The rows for the wire; when <see cref="WireBytes"/> is over <paramref name="maxWireBytes"/>, no rows.</returns>
    public static BatchRows From(IReadOnlyList<IReadOnlyList<PluginValue>> rows, long maxWireBytes)
    {
        if (TryPackedSize(rows, out var types) is { } packedBytes)
        {
            // Base64 in the JSON formats: four bytes on the wire for every three.
            var wireBytes = WireValueOverhead + (packedBytes * 4 / 3);
            return wireBytes > maxWireBytes ? new BatchRows(rows.Count, [], null, wireBytes) : new BatchRows(rows.Count, [], Pack(rows, types, packedBytes), wireBytes);
        }

        var wireRows = new WireValue[rows.Count][];
        long bytes = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i] ?? [];
            var wireRow = wireRows[i] = new WireValue[row.Count];
            for (var c = 0; c < wireRow.Length; c++)
            {
                var value = row[c];
                wireRow[c] = new WireValue { Type = value.Type, Bits = value.RawBits, Bytes = value.RawBytes };
                bytes += WireValueOverhead + ((value.RawBytes?.LongLength ?? 0) * 4 / 3);
            }
        }

        return new BatchRows(rows.Count, wireRows, null, bytes);
    }

    /// <summary>
    /// The packed size of the rows when all have the first row's types and those are numeric, or <see langword="null"/>.
    /// </summary>
    private static long? TryPackedSize(IReadOnlyList<IReadOnlyList<PluginValue>> rows, out PluginValueType[] types)
    {
        types = [];
        if (rows.Count == 0 || rows[0] is not { } first)
        {
            return null;
        }

        var columns = new PluginValueType[first.Count];
        for (var c = 0; c < columns.Length; c++)
        {
            if (first[c] is not { } value || !PackedValues.IsPackable(value.Type))
            {
                return null;
            }

            columns[c] = value.Type;
        }

        foreach (var row in rows)
        {
            if (row is null || row.Count != columns.Length)
            {
                return null;
            }

            for (var c = 0; c < columns.Length; c++)
            {
                if (row[c] is not { } value || value.Type != columns[c])
                {
                    return null;
                }
            }
        }

        types = columns;
        return (long)rows.Count * columns.Length * PackedValues.ValueSize;
    }

    private static PackedRows Pack(IReadOnlyList<IReadOnlyList<PluginValue>> rows, PluginValueType[] types, long size)
    {
        var values = new byte[size];
        var columns = types.Length;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            for (var c = 0; c < columns; c++)
            {
                PackedValues.Write(values, (i * columns) + c, row[c].RawBits);
            }
        }

        return new PackedRows { Types = types, Count = rows.Count, Values = values };
    }
}

using System.Buffers.Binary;
using System.Text;
using SochDb.Isolated.Protocol.Manifest;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>The binary layouts host functions hand to the guest. All integers little-endian; documented in docs/abi.md.</summary>
internal static class HostEncoding
{
    /// <summary>The size of one vector hit: row id (u64) and distance (f32).</summary>
    public const int HitSize = 12;

    /// <summary>Encodes a scan result: <c>u32 count</c>, then per row <c>i64 row_id, u32 len, len bytes</c>.</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Rows(IReadOnlyList<StoredRow> rows)
    {
        var size = 4 + rows.Sum(r => 12L + r.Data.Length);
        var buffer = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)rows.Count);
        var offset = 4;
        foreach (var row in rows)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(offset), row.RowId);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset + 8), (uint)row.Data.Length);
            row.Data.CopyTo(buffer, offset + 12);
            offset += 12 + row.Data.Length;
        }

        return buffer;
    }

    /// <summary>Encodes row ids: <c>u32 count</c>, then <c>count</c> × <c>i64</c>.</summary>
    /// <param name="ids">The row ids.</param>
    /// <returns>The bytes.</returns>
    public static byte[] RowIds(IReadOnlyList<long> ids)
    {
        var buffer = new byte[4 + (ids.Count * 8)];
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(4 + (i * 8)), ids[i]);
        }

        return buffer;
    }

    /// <summary>Encodes vector hits: 12 bytes each, <c>u64 row_id, f32 distance</c>, nearest first.</summary>
    /// <param name="hits">The hits.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Hits(IReadOnlyList<VectorHit> hits)
    {
        var buffer = new byte[hits.Count * HitSize];
        for (var i = 0; i < hits.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(i * HitSize), hits[i].RowId);
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan((i * HitSize) + 8), hits[i].Distance);
        }

        return buffer;
    }

    /// <summary>
    /// Encodes a config value: a string as UTF-8; an integer as i64; a float as f64; a boolean as one byte (0 or 1);
    /// a string array as <c>u32 count</c>, then per item <c>u32 len, len bytes</c>.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Config(ConfigValue value)
    {
        switch (value.Value)
        {
            case string s:
                return Encoding.UTF8.GetBytes(s);
            case long l:
                var i64 = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(i64, l);
                return i64;
            case double d:
                var f64 = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(f64, d);
                return f64;
            case bool b:
                return [b ? (byte)1 : (byte)0];
            case IEnumerable<string> items:
                var encoded = items.Select(Encoding.UTF8.GetBytes).ToList();
                var buffer = new byte[4 + encoded.Sum(e => 4 + e.Length)];
                BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)encoded.Count);
                var offset = 4;
                foreach (var item in encoded)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset), (uint)item.Length);
                    item.CopyTo(buffer, offset + 4);
                    offset += 4 + item.Length;
                }

                return buffer;
            default:
                throw new ArgumentException($"config values of type {value.Value.GetType().Name} cannot be encoded", nameof(value));
        }
    }
}

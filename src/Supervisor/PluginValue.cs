using System.Globalization;
using System.Text;
using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>A value passed to or returned from a plugin: a wasm number, a byte buffer or a string.</summary>
public sealed class PluginValue : IEquatable<PluginValue>
{
    private readonly long bits;
    private readonly byte[]? bytes;

    private PluginValue(PluginValueType type, long bits, byte[]? bytes)
    {
        Type = type;
        this.bits = bits;
        this.bytes = bytes;
    }

    /// <summary>Gets the value's type.</summary>
    public PluginValueType Type { get; }

    /// <summary>Creates an <c>i32</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The plugin value.</returns>
    public static PluginValue I32(int value) => new(PluginValueType.I32, value, null);

    /// <summary>Creates an <c>i64</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The plugin value.</returns>
    public static PluginValue I64(long value) => new(PluginValueType.I64, value, null);

    /// <summary>Creates an <c>f32</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The plugin value.</returns>
    public static PluginValue F32(float value) => new(PluginValueType.F32, BitConverter.SingleToInt32Bits(value), null);

    /// <summary>Creates an <c>f64</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The plugin value.</returns>
    public static PluginValue F64(double value) => new(PluginValueType.F64, BitConverter.DoubleToInt64Bits(value), null);

    /// <summary>Creates a byte buffer; the array is copied.</summary>
    /// <param name="value">The bytes.</param>
    /// <returns>The plugin value.</returns>
    public static PluginValue Bytes(ReadOnlySpan<byte> value) => new(PluginValueType.Bytes, 0, value.ToArray());

    /// <summary>Creates a string, passed to the guest as UTF-8.</summary>
    /// <param name="value">The string.</param>
    /// <returns>The plugin value.</returns>
    public static PluginValue String(string value) => new(PluginValueType.String, 0, Encoding.UTF8.GetBytes(value));

    /// <summary>Creates a value from its raw parts, as it crossed the wire.</summary>
    /// <param name="type">The type.</param>
    /// <param name="bits">The raw bits of a number.</param>
    /// <param name="payload">The payload of a buffer or string; taken without copying.</param>
    /// <returns>The plugin value.</returns>
    internal static PluginValue FromRaw(PluginValueType type, long bits, byte[]? payload) => new(type, bits, payload ?? (type is PluginValueType.Bytes or PluginValueType.String ? [] : null));

    /// <summary>Gets the raw bits of a number (for the wire).</summary>
    internal long RawBits => bits;

    /// <summary>Gets the payload of a buffer or string without copying (for the wire).</summary>
    internal byte[]? RawBytes => bytes;

    /// <summary>Returns the value as an <see cref="int"/> when it is an <c>i32</c>.</summary>
    /// <returns>The value, or <see langword="null"/> for any other type.</returns>
    public int? AsI32() => Type == PluginValueType.I32 ? (int)bits : null;

    /// <summary>Returns the value as a <see cref="long"/> when it is an <c>i64</c>.</summary>
    /// <returns>The value, or <see langword="null"/> for any other type.</returns>
    public long? AsI64() => Type == PluginValueType.I64 ? bits : null;

    /// <summary>Returns the value as a <see cref="float"/> when it is an <c>f32</c>.</summary>
    /// <returns>The value, or <see langword="null"/> for any other type.</returns>
    public float? AsF32() => Type == PluginValueType.F32 ? BitConverter.Int32BitsToSingle((int)bits) : null;

    /// <summary>Returns the value as a <see cref="double"/> when it is an <c>f64</c>.</summary>
    /// <returns>The value, or <see langword="null"/> for any other type.</returns>
    public double? AsF64() => Type == PluginValueType.F64 ? BitConverter.Int64BitsToDouble(bits) : null;

    /// <summary>Returns the bytes of a buffer, or the UTF-8 of a string (as the original runtime does).</summary>
    /// <returns>The bytes, or <see langword="null"/> for a number.</returns>
    public ReadOnlyMemory<byte>? AsBytes() => bytes is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(bytes);

    /// <summary>Returns the value as a string when it is a <c>string</c>.</summary>
    /// <returns>The string, or <see langword="null"/> for any other type.</returns>
    public string? AsString() => Type == PluginValueType.String ? Encoding.UTF8.GetString(bytes!) : null;

    /// <inheritdoc/>
    public bool Equals(PluginValue? other)
        => other is not null && other.Type == Type && other.bits == bits
           && (bytes is null ? other.bytes is null : other.bytes is not null && bytes.AsSpan().SequenceEqual(other.bytes));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PluginValue);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, bits, bytes?.Length ?? -1);

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        PluginValueType.I32 => $"i32:{AsI32()!.Value.ToString(CultureInfo.InvariantCulture)}",
        PluginValueType.I64 => $"i64:{bits.ToString(CultureInfo.InvariantCulture)}",
        PluginValueType.F32 => $"f32:{AsF32()!.Value.ToString("R", CultureInfo.InvariantCulture)}",
        PluginValueType.F64 => $"f64:{AsF64()!.Value.ToString("R", CultureInfo.InvariantCulture)}",
        PluginValueType.String => $"string:{AsString()}",
        _ => $"bytes:{Convert.ToBase64String(bytes!)}",
    };
}

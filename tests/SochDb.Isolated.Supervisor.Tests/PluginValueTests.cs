using System.Text;
using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class PluginValueTests
{
    [Fact]
    public void AsI32_I32Value_ReturnsItAndOtherAccessorsReturnNull()
    {
        var value = PluginValue.I32(42);

        Assert.Equal(PluginValueType.I32, value.Type);
        Assert.Equal(42, value.AsI32());
        Assert.Null(value.AsI64());
        Assert.Null(value.AsF32());
        Assert.Null(value.AsF64());
        Assert.Null(value.AsString());
    }

    [Theory]
    [InlineData(PluginValueType.I32)]
    [InlineData(PluginValueType.I64)]
    [InlineData(PluginValueType.F32)]
    [InlineData(PluginValueType.F64)]
    public void AsBytes_Number_ReturnsNull(PluginValueType type)
    {
        var value = type switch
        {
            PluginValueType.I32 => PluginValue.I32(42),
            PluginValueType.I64 => PluginValue.I64(42),
            PluginValueType.F32 => PluginValue.F32(4.2f),
            _ => PluginValue.F64(4.2),
        };

        Assert.Null(value.AsBytes());
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public void AsI32_Extremes_RoundTrip(int number)
    {
        Assert.Equal(number, PluginValue.I32(number).AsI32());
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(-1L)]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue)]
    public void AsI64_I64Value_RoundTripsAndIsNotAnI32(long number)
    {
        var value = PluginValue.I64(number);

        Assert.Equal(PluginValueType.I64, value.Type);
        Assert.Equal(number, value.AsI64());
        Assert.Null(value.AsI32());
        Assert.Null(value.AsF64());
    }

    [Fact]
    public void AsBytes_String_ReturnsUtf8()
    {
        var value = PluginValue.String("hello");

        Assert.Equal(PluginValueType.String, value.Type);
        Assert.Equal("hello"u8.ToArray(), value.AsBytes()!.Value.ToArray());
        Assert.Equal("hello", value.AsString());
        Assert.Null(value.AsI32());
    }

    [Fact]
    public void AsString_NonAscii_RoundTripsThroughUtf8()
    {
        const string Text = "héllo ✓ 😀";

        var value = PluginValue.String(Text);

        Assert.Equal(Encoding.UTF8.GetBytes(Text), value.AsBytes()!.Value.ToArray());
        Assert.Equal(Text, value.AsString());
    }

    [Fact]
    public void AsBytes_Bytes_ReturnsThemAndIsNotAString()
    {
        var value = PluginValue.Bytes([1, 2, 3]);

        Assert.Equal(PluginValueType.Bytes, value.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, value.AsBytes()!.Value.ToArray());
        Assert.Null(value.AsString());
        Assert.Null(value.AsI32());
    }

    [Fact]
    public void Bytes_SourceChangedAfterwards_KeepsItsCopy()
    {
        var source = new byte[] { 1, 2, 3 };

        var value = PluginValue.Bytes(source);
        source[0] = 99;

        Assert.Equal(new byte[] { 1, 2, 3 }, value.AsBytes()!.Value.ToArray());
    }

    [Fact]
    public void Bytes_Empty_IsAnEmptyBufferNotNull()
    {
        var value = PluginValue.Bytes([]);

        Assert.NotNull(value.AsBytes());
        Assert.Equal(0, value.AsBytes()!.Value.Length);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-6f)]
    [InlineData(float.MaxValue)]
    [InlineData(float.Epsilon)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void AsF32_F32Value_RoundTripsExactly(float number)
    {
        var value = PluginValue.F32(number);

        Assert.Equal(PluginValueType.F32, value.Type);
        Assert.Equal(BitConverter.SingleToInt32Bits(number), BitConverter.SingleToInt32Bits(value.AsF32()!.Value));
        Assert.Null(value.AsF64());
        Assert.Null(value.AsI32());
    }

    [Fact]
    public void AsF32_NaNWithPayload_KeepsItsBits()
    {
        const int Bits = 0x7FC0_1234;

        var value = PluginValue.F32(BitConverter.Int32BitsToSingle(Bits));

        Assert.True(float.IsNaN(value.AsF32()!.Value));
        Assert.Equal(Bits, BitConverter.SingleToInt32Bits(value.AsF32()!.Value));
    }

    [Fact]
    public void AsF32_NegativeZero_KeepsItsSign()
    {
        var value = PluginValue.F32(-0.0f);

        Assert.True(float.IsNegative(value.AsF32()!.Value));
        Assert.Equal(unchecked((int)0x8000_0000), BitConverter.SingleToInt32Bits(value.AsF32()!.Value));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(-1e300)]
    [InlineData(double.Epsilon)]
    [InlineData(double.NegativeInfinity)]
    public void AsF64_F64Value_RoundTripsExactly(double number)
    {
        var value = PluginValue.F64(number);

        Assert.Equal(PluginValueType.F64, value.Type);
        Assert.Equal(BitConverter.DoubleToInt64Bits(number), BitConverter.DoubleToInt64Bits(value.AsF64()!.Value));
        Assert.Null(value.AsF32());
        Assert.Null(value.AsI64());
    }

    [Fact]
    public void AsF64_NaNWithPayload_KeepsItsBits()
    {
        const long Bits = 0x7FF8_0000_0000_0ABC;

        var value = PluginValue.F64(BitConverter.Int64BitsToDouble(Bits));

        Assert.True(double.IsNaN(value.AsF64()!.Value));
        Assert.Equal(Bits, BitConverter.DoubleToInt64Bits(value.AsF64()!.Value));
    }

    [Fact]
    public void AsF64_NegativeZero_KeepsItsSign()
    {
        var value = PluginValue.F64(-0.0);

        Assert.True(double.IsNegative(value.AsF64()!.Value));
        Assert.Equal(long.MinValue, BitConverter.DoubleToInt64Bits(value.AsF64()!.Value));
    }

    [Fact]
    public void Equals_SameTypeAndValue_IsEqualWithEqualHashCodes()
    {
        var pairs = new (PluginValue A, PluginValue B)[]
        {
            (PluginValue.I32(7), PluginValue.I32(7)),
            (PluginValue.I64(-7), PluginValue.I64(-7)),
            (PluginValue.F32(2.5f), PluginValue.F32(2.5f)),
            (PluginValue.F64(double.NaN), PluginValue.F64(double.NaN)),
            (PluginValue.String("abc"), PluginValue.String("abc")),
            (PluginValue.Bytes([9, 8, 7]), PluginValue.Bytes([9, 8, 7])),
        };

        foreach (var (a, b) in pairs)
        {
            Assert.NotSame(a, b);
            Assert.True(a.Equals(b), $"{a} should equal {b}");
            Assert.True(a.Equals((object)b), $"{a} should equal {b} as object");
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
        }
    }

    [Fact]
    public void Equals_DifferentTypeOrValue_IsNotEqual()
    {
        var pairs = new (PluginValue A, PluginValue B)[]
        {
            (PluginValue.I32(1), PluginValue.I64(1)),
            (PluginValue.I32(1), PluginValue.I32(2)),
            (PluginValue.F32(1f), PluginValue.F64(1d)),
            (PluginValue.F64(0.0), PluginValue.F64(-0.0)),
            (PluginValue.String("a"), PluginValue.Bytes("a"u8)),
            (PluginValue.Bytes([1, 2, 3]), PluginValue.Bytes([1, 2, 4])),
            (PluginValue.Bytes([1, 2]), PluginValue.Bytes([1, 2, 0])),
            (PluginValue.String(string.Empty), PluginValue.I32(0)),
        };

        foreach (var (a, b) in pairs)
        {
            Assert.False(a.Equals(b), $"{a} should not equal {b}");
            Assert.False(b.Equals(a), $"{b} should not equal {a}");
        }
    }

    [Fact]
    public void Equals_NullOrOtherObject_IsFalse()
    {
        var value = PluginValue.I32(0);

        Assert.False(value.Equals(null));
        Assert.False(value.Equals((object?)null));
        Assert.False(value.Equals((object)0));
    }

    [Fact]
    public void FromRaw_BufferWithoutPayload_EqualsEmptyBuffer()
    {
        var raw = PluginValue.FromRaw(PluginValueType.Bytes, 0, null);

        Assert.Equal(PluginValue.Bytes([]), raw);
        Assert.Equal(0, raw.AsBytes()!.Value.Length);
        Assert.Equal(string.Empty, PluginValue.FromRaw(PluginValueType.String, 0, null).AsString());
    }

    [Fact]
    public void FromRaw_NumberBits_MatchTheFactories()
    {
        Assert.Equal(PluginValue.I32(-5), PluginValue.FromRaw(PluginValueType.I32, -5, null));
        Assert.Equal(PluginValue.F32(1.5f), PluginValue.FromRaw(PluginValueType.F32, BitConverter.SingleToInt32Bits(1.5f), null));
        Assert.Equal(PluginValue.F64(-2.25), PluginValue.FromRaw(PluginValueType.F64, BitConverter.DoubleToInt64Bits(-2.25), null));
        Assert.Equal(3, PluginValue.I64(3).RawBits);
    }

    [Fact]
    public void ToString_EachType_IsTypePrefixedInvariantText()
    {
        Assert.Equal("i32:-7", PluginValue.I32(-7).ToString());
        Assert.Equal("i64:9007199254740993", PluginValue.I64(9_007_199_254_740_993).ToString());
        Assert.Equal("f32:1.5", PluginValue.F32(1.5f).ToString());
        Assert.Equal("f64:0.1", PluginValue.F64(0.1).ToString());
        Assert.Equal("f64:-0", PluginValue.F64(-0.0).ToString());
        Assert.Equal("f32:NaN", PluginValue.F32(float.NaN).ToString());
        Assert.Equal("f64:-Infinity", PluginValue.F64(double.NegativeInfinity).ToString());
        Assert.Equal("string:héllo", PluginValue.String("héllo").ToString());
        Assert.Equal("bytes:AQID", PluginValue.Bytes([1, 2, 3]).ToString());
        Assert.Equal("bytes:", PluginValue.Bytes([]).ToString());
    }
}

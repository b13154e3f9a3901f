using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Protocol.Tests;

/// <summary>The packed value buffers of protocol v3: raw bits, eight little-endian bytes each, sizes checked without overflow.</summary>
public sealed class PackedValuesTests
{
    [Fact]
    public void WriteThenRead_AnyBits_RoundTripLittleEndian()
    {
        var values = new byte[3 * PackedValues.ValueSize];
        PackedValues.Write(values, 0, long.MinValue);
        PackedValues.Write(values, 1, -1);
        PackedValues.Write(values, 2, 0x0102030405060708);

        Assert.Equal(long.MinValue, PackedValues.Read(values, 0));
        Assert.Equal(-1, PackedValues.Read(values, 1));
        Assert.Equal(0x0102030405060708, PackedValues.Read(values, 2));
        Assert.Equal(0x08, values[16]);
    }

    [Theory]
    [InlineData(16, 1, 2, true)]
    [InlineData(0, 0, 5, true)]
    [InlineData(0, 5, 0, true)]
    [InlineData(8, 0, 1, false)]
    [InlineData(15, 1, 2, false)]
    [InlineData(0, -1, 2, false)]
    [InlineData(0, long.MaxValue, long.MaxValue, false)]
    [InlineData(0, 1L << 61, 4, false)]
    public void FitsExactly_SizesThatAgreeOrNot_AnswersWithoutOverflowing(long bytes, long rows, long columns, bool fits)
    {
        Assert.Equal(fits, PackedValues.FitsExactly(bytes, rows, columns));
    }

    [Theory]
    [InlineData(PluginValueType.I32, true)]
    [InlineData(PluginValueType.F64, true)]
    [InlineData(PluginValueType.Bytes, false)]
    [InlineData(PluginValueType.String, false)]
    public void IsPackable_Type_OnlyNumbers(PluginValueType type, bool packable)
    {
        Assert.Equal(packable, PackedValues.IsPackable(type));
    }
}

namespace SochDb.Isolated.Supervisor.Tests;

/// <summary>How a batch sums the figures its worker reports per row: a hostile worker cannot wrap a total below zero.</summary>
public sealed class BatchAccountingTests
{
    [Theory]
    [InlineData(0, 5, 5)]
    [InlineData(10, -7, 10)]
    [InlineData(long.MaxValue - 1, 5, long.MaxValue)]
    [InlineData(long.MaxValue, long.MaxValue, long.MaxValue)]
    [InlineData(3, long.MinValue, 3)]
    public void SaturatingAdd_ReportedFigure_NeverGoesNegativeNorWraps(long sum, long reported, long expected)
    {
        Assert.Equal(expected, PluginSupervisor.SaturatingAdd(sum, reported));
    }
}

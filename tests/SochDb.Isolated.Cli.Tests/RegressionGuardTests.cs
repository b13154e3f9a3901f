using SochDb.Isolated.Benchmarks;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>The CI benchmark guard: fails on gross regressions only, against the larger of bound and baseline.</summary>
public sealed class RegressionGuardTests : IDisposable
{
    private readonly string baseline = Path.Combine(Path.GetTempPath(), $"guard-{Guid.NewGuid():N}.json");

    public RegressionGuardTests() => File.WriteAllText(baseline, """{ "invoke-p50": 4.5, "pipelined-64": 0.012 }""");

    public void Dispose() => File.Delete(baseline);

    [Theory]
    [InlineData(13.4, true)]
    [InlineData(13.6, false)]
    public void Check_UpperBoundMissedByItsBaseline_AllowsThreeTimesTheBaseline(double ratio, bool expected)
    {
        Assert.Equal(expected, Check(Upper("invoke-p50", ratio, bound: 1.5)));
    }

    [Theory]
    [InlineData(2.9, true)]
    [InlineData(3.1, false)]
    public void Check_UpperBoundWithoutBaseline_AllowsThreeTimesTheBound(double ratio, bool expected)
    {
        Assert.Equal(expected, Check(Upper("kill-stopped-new", ratio, bound: 1)));
    }

    [Theory]
    [InlineData(0.0041, true)]
    [InlineData(0.0039, false)]
    public void Check_LowerBound_FailsBelowAThirdOfTheSmallerOfBoundAndBaseline(double ratio, bool expected)
    {
        Assert.Equal(expected, Check(new TargetRow("pipelined-64", "pipelined", "m", "r", ratio, 0.25, AtMost: false, Met: false)));
    }

    [Fact]
    public void Check_ZeroBoundAndZeroRatio_Passes()
    {
        Assert.True(Check(Upper("cache-hit", 0, bound: 0)));
        Assert.False(Check(Upper("cache-hit", 1, bound: 0)));
    }

    [Fact]
    public void Check_OneGrossRegressionAmongMany_FailsAndNamesIt()
    {
        using var output = new StringWriter();

        var ok = RegressionGuard.Check([Upper("invoke-p50", 5, 1.5), Upper("kill-spin", 100, 15)], baseline, output);

        Assert.False(ok);
        Assert.Contains("FAIL kill-spin", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("ok   invoke-p50", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_SomeTargetsPastTheGuard_NamesExactlyThoseInOrder()
    {
        var failures = RegressionGuard.Failures(
            [Upper("kill-spin", 100, 15), Upper("invoke-p50", 5, 1.5), Upper("invoke-p99", 50, 2)],
            baseline,
            TextWriter.Null);

        Assert.Equal(["kill-spin", "invoke-p99"], failures);
    }

    [Fact]
    public void Confirmed_FailureNotRepeatedWhenMeasuredAgain_IsNoise()
    {
        Assert.Empty(RegressionGuard.Confirmed(["invoke-p99"], []));
        Assert.Empty(RegressionGuard.Confirmed(["invoke-p99"], ["kill-spin"]));
        Assert.Equal(["kill-spin"], RegressionGuard.Confirmed(["invoke-p99", "kill-spin"], ["kill-spin", "batch-row"]));
    }

    [Fact]
    public void Check_TargetNotMeasured_IsSkippedNotFailed()
    {
        using var output = new StringWriter();
        var notMeasured = new TargetRow("cold-start", "cold", "not measured", "Native AOT worker: no C toolchain", 1, 0.2, AtMost: true, Met: null);

        Assert.True(RegressionGuard.Check([notMeasured], baseline, output));
        Assert.Contains("skip cold-start: not measured (Native AOT worker: no C toolchain)", output.ToString(), StringComparison.Ordinal);
    }

    private static TargetRow Upper(string id, double ratio, double bound) => new(id, id, "m", "r", ratio, bound, AtMost: true, Met: ratio <= bound);

    private bool Check(TargetRow row) => RegressionGuard.Check([row], baseline, TextWriter.Null);
}

using SochDb.Isolated.Benchmarks;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>The benchmark suite's arguments: profiles, outputs and the Native AOT worker's selection.</summary>
public sealed class BenchmarkOptionsTests
{
    [Fact]
    public void TryParse_NoArguments_FullProfilePublishingTheNativeWorker()
    {
        Assert.True(BenchmarkOptions.TryParse([], out var options, out var error), error);

        Assert.Equal("full", options!.Profile.Name);
        Assert.Null(options.NativeWorker);
        Assert.False(options.SkipNative);
    }

    [Fact]
    public void TryParse_NativeWorkerPath_IsKept()
    {
        Assert.True(BenchmarkOptions.TryParse(["--quick", "--native-worker", "/opt/w/SochDb.Isolated.Worker"], out var options, out var error), error);

        Assert.Equal("quick", options!.Profile.Name);
        Assert.Equal("/opt/w/SochDb.Isolated.Worker", options.NativeWorker);
    }

    [Theory]
    [InlineData("--native-worker")]
    [InlineData("--native-worker", "--quick")]
    [InlineData("--native-worker", "w", "--no-native")]
    [InlineData("--nope")]
    public void TryParse_BadArguments_FailsWithAReason(params string[] args)
    {
        Assert.False(BenchmarkOptions.TryParse(args, out var options, out var error));

        Assert.Null(options);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void TryParse_NoNative_LeavesTheNativeWorkerOut()
    {
        Assert.True(BenchmarkOptions.TryParse(["--no-native"], out var options, out _));

        Assert.True(options!.SkipNative);
    }
}

namespace SochDb.Isolated.Benchmarks;

/// <summary>How many calls each scenario makes, and how long the timed windows last.</summary>
/// <param name="Name">The profile's name, as printed.</param>
/// <param name="Warmup">Untimed calls before each scenario's timed ones.</param>
/// <param name="CallIterations">Timed calls of the <c>add</c> scenarios.</param>
/// <param name="EchoIterations">Timed calls of the 64 KiB echo scenarios.</param>
/// <param name="Rounds">The rounds the timed calls are interleaved in.</param>
/// <param name="KillSamples">Samples of each kill-latency scenario (each one ends a call at its deadline; the stopped-worker one also replaces the worker).</param>
/// <param name="LifecycleSamples">Samples of each load-to-first-call variant (each one a fresh supervisor and worker).</param>
/// <param name="ThroughputCallers">Concurrent callers of the throughput scenarios.</param>
/// <param name="ThroughputWarmup">Untimed calling per throughput configuration and export, and before the reload scenario's steady window.</param>
/// <param name="ThroughputWindow">Timed calling per throughput configuration, export and round.</param>
/// <param name="ThroughputRounds">The rounds the throughput windows are interleaved in.</param>
/// <param name="ReloadCallers">Concurrent callers of the reload scenario.</param>
/// <param name="ReloadSteady">The reload scenario's steady window.</param>
/// <param name="Reloads">Back-to-back hot reloads in the reload scenario's second window.</param>
internal sealed record BenchmarkProfile(
    string Name,
    int Warmup,
    int CallIterations,
    int EchoIterations,
    int Rounds,
    int KillSamples,
    int LifecycleSamples,
    int ThroughputCallers,
    TimeSpan ThroughputWarmup,
    TimeSpan ThroughputWindow,
    int ThroughputRounds,
    int ReloadCallers,
    TimeSpan ReloadSteady,
    int Reloads)
{
    /// <summary>Gets the untimed messages before each physical pipe reference's timed ones (see <see cref="PipeReferences"/>).</summary>
    public int ReferenceWarmup { get; init; }

    /// <summary>Gets the timed round trips of each physical pipe reference with one message in flight.</summary>
    public int ReferenceRoundTrips { get; init; }

    /// <summary>Gets the timed messages of each pipelined physical pipe reference.</summary>
    public int ReferencePipelinedMessages { get; init; }

    /// <summary>
    /// Gets the samples of the spinning-plugin kill scenario when it needs more than <see cref="KillSamples"/>: its target
    /// is a p99, which 40 samples reduce to the single slowest one (0 = <see cref="KillSamples"/>).
    /// </summary>
    public int SpinKillSamples { get; init; }

    /// <summary>Gets how long idle workers' CPU is watched (see <see cref="Footprint"/>).</summary>
    public TimeSpan FootprintIdle { get; init; } = TimeSpan.FromSeconds(2);

    public static BenchmarkProfile Full { get; } = new(
        "full",
        Warmup: 2_000,
        CallIterations: 20_000,
        EchoIterations: 2_000,
        Rounds: 10,
        KillSamples: 40,
        LifecycleSamples: 20,
        ThroughputCallers: 16,
        ThroughputWarmup: TimeSpan.FromSeconds(2),
        ThroughputWindow: TimeSpan.FromSeconds(2),
        ThroughputRounds: 5,
        ReloadCallers: 4,
        ReloadSteady: TimeSpan.FromSeconds(10),
        Reloads: 10)
    {
        ReferenceWarmup = 20_000,
        ReferenceRoundTrips = 100_000,
        ReferencePipelinedMessages = 1_000_000,
        FootprintIdle = TimeSpan.FromSeconds(5),
        SpinKillSamples = 200,
    };

    public static BenchmarkProfile Quick { get; } = new(
        "quick",
        Warmup: 200,
        CallIterations: 2_000,
        EchoIterations: 200,
        Rounds: 4,
        KillSamples: 10,
        LifecycleSamples: 5,
        ThroughputCallers: 16,
        ThroughputWarmup: TimeSpan.FromSeconds(0.5),
        ThroughputWindow: TimeSpan.FromSeconds(1),
        ThroughputRounds: 2,
        ReloadCallers: 4,
        ReloadSteady: TimeSpan.FromSeconds(2),
        Reloads: 3)
    {
        ReferenceWarmup = 10_000,
        ReferenceRoundTrips = 20_000,
        ReferencePipelinedMessages = 200_000,
    };
}

/// <summary>The parsed command line.</summary>
/// <param name="Profile">The profile to run.</param>
/// <param name="JsonPath">Where to write the figures as JSON, if anywhere.</param>
internal sealed record BenchmarkOptions(BenchmarkProfile Profile, string? JsonPath)
{
    /// <summary>Gets the regression guard's baseline file, if the run is a guard run (see <see cref="RegressionGuard"/>).</summary>
    public string? GuardBaseline { get; init; }

    /// <summary>Gets the Native AOT worker to measure; <see langword="null"/>: publish it from this checkout.</summary>
    public string? NativeWorker { get; init; }

    /// <summary>Gets whether to leave the Native AOT worker out.</summary>
    public bool SkipNative { get; init; }

    public const string Usage = "usage: SochDb.Isolated.Benchmarks [--quick] [--json <out.json>] [--guard <baseline.json>] [--native-worker <path> | --no-native]";

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="options">The options, when the arguments are valid.</param>
    /// <param name="error">Why they are not, otherwise.</param>
    /// <returns>Whether the arguments are valid.</returns>
    public static bool TryParse(IReadOnlyList<string> args, out BenchmarkOptions? options, out string? error)
    {
        var profile = BenchmarkProfile.Full;
        string? json = null;
        string? guard = null;
        string? native = null;
        var skipNative = false;
        options = null;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    profile = BenchmarkProfile.Quick;
                    break;
                case "--json" when TakeValue(args, ref i, out json, out error, "a file path"):
                case "--guard" when TakeValue(args, ref i, out guard, out error, "the baseline file"):
                case "--native-worker" when TakeValue(args, ref i, out native, out error, "the Native AOT worker's path"):
                    break;
                case "--json" or "--guard" or "--native-worker":
                    return false;
                case "--no-native":
                    skipNative = true;
                    break;
                default:
                    error = $"unknown argument '{args[i]}'";
                    return false;
            }
        }

        if (native is not null && skipNative)
        {
            error = "--native-worker and --no-native exclude each other";
            return false;
        }

        options = new BenchmarkOptions(profile, json) { GuardBaseline = guard, NativeWorker = native, SkipNative = skipNative };
        return true;
    }

    /// <summary>Takes the value after the option at <paramref name="i"/>, which must not be another option.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="i">The option's index; moved onto its value when there is one.</param>
    /// <param name="value">The value.</param>
    /// <param name="error">Why there is none.</param>
    /// <param name="what">What the option needs, for the error.</param>
    /// <returns>Whether a value was taken.</returns>
    private static bool TakeValue(IReadOnlyList<string> args, ref int i, out string? value, out string? error, string what)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            value = null;
            error = $"{args[i]} needs {what}";
            return false;
        }

        value = args[++i];
        error = null;
        return true;
    }
}

namespace SochDb.Isolated.Benchmarks;

/// <summary>How many calls each scenario makes.</summary>
/// <param name="Name">The profile's name, as printed.</param>
/// <param name="Warmup">Untimed calls before each scenario's timed ones.</param>
/// <param name="CallIterations">Timed calls of the <c>add</c> scenarios.</param>
/// <param name="EchoIterations">Timed calls of the 64 KiB echo scenarios.</param>
/// <param name="Rounds">The rounds the timed calls are interleaved in.</param>
/// <param name="KillSamples">Samples of each kill-latency scenario (each one ends a call at its deadline; the stopped-worker one also replaces the worker).</param>
internal sealed record BenchmarkProfile(string Name, int Warmup, int CallIterations, int EchoIterations, int Rounds, int KillSamples)
{
    public static BenchmarkProfile Full { get; } = new("full", Warmup: 2_000, CallIterations: 20_000, EchoIterations: 2_000, Rounds: 10, KillSamples: 40);

    public static BenchmarkProfile Quick { get; } = new("quick", Warmup: 200, CallIterations: 2_000, EchoIterations: 200, Rounds: 4, KillSamples: 10);
}

/// <summary>The parsed command line.</summary>
/// <param name="Profile">The profile to run.</param>
/// <param name="JsonPath">Where to write the figures as JSON, if anywhere.</param>
internal sealed record BenchmarkOptions(BenchmarkProfile Profile, string? JsonPath)
{
    public const string Usage = "usage: SochDb.Isolated.Benchmarks [--quick] [--json <out.json>]";

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="options">The options, when the arguments are valid.</param>
    /// <param name="error">Why they are not, otherwise.</param>
    /// <returns>Whether the arguments are valid.</returns>
    public static bool TryParse(IReadOnlyList<string> args, out BenchmarkOptions? options, out string? error)
    {
        var profile = BenchmarkProfile.Full;
        string? json = null;
        options = null;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    profile = BenchmarkProfile.Quick;
                    break;
                case "--json":
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        error = "--json needs a file path";
                        return false;
                    }

                    json = args[++i];
                    break;
                default:
                    error = $"unknown argument '{args[i]}'";
                    return false;
            }
        }

        options = new BenchmarkOptions(profile, json);
        return true;
    }
}

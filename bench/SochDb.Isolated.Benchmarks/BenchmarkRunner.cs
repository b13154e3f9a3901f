using System.Globalization;
using System.Runtime.InteropServices;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Worker.Wasm;

namespace SochDb.Isolated.Benchmarks;

/// <summary>Runs every scenario in one process and reports them side by side.</summary>
internal static class BenchmarkRunner
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (!BenchmarkOptions.TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(BenchmarkOptions.Usage);
            return 2;
        }

        var profile = options!.Profile;
        var started = DateTimeOffset.UtcNow;
        var wasm = Scenarios.LoadModule();
        var manifest = Scenarios.ParseManifest();
        await using var owner = new Scenarios();

        Progress("starting one supervisor (and worker) per wire format");
        var messagePack = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.MessagePackLengthPrefixed);
        var jsonLength = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.JsonLengthPrefixed);
        var jsonHeaders = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.JsonHeaders);
        List<TimedScenario> scenarios =
        [
            owner.InProcessAdd(wasm, profile.CallIterations),
            Scenarios.SupervisorAdd(messagePack, WireFormat.MessagePackLengthPrefixed, profile.CallIterations),
            Scenarios.SupervisorAdd(jsonLength, WireFormat.JsonLengthPrefixed, profile.CallIterations),
            Scenarios.SupervisorAdd(jsonHeaders, WireFormat.JsonHeaders, profile.CallIterations),
            await Scenarios.SupervisorEchoAsync(messagePack, WireFormat.MessagePackLengthPrefixed, profile.EchoIterations),
            await Scenarios.SupervisorEchoAsync(jsonLength, WireFormat.JsonLengthPrefixed, profile.EchoIterations),

            // A batch is worth a thousand calls, so it gets a twentieth of the calls' samples.
            Scenarios.SupervisorAddBatch(messagePack, WireFormat.MessagePackLengthPrefixed, Math.Max(1, profile.CallIterations / 20)),
        ];

        foreach (var scenario in scenarios)
        {
            Progress($"warming up {scenario.Id} ({profile.Warmup:N0} calls)");
            await scenario.WarmUpAsync(profile.Warmup);
        }

        // Interleave: every scenario runs a slice of its calls per round, and the starting scenario rotates, so that
        // drifting background load spreads over all of them instead of landing on whichever ran at the time.
        for (var round = 0; round < profile.Rounds; round++)
        {
            Progress($"round {round + 1} of {profile.Rounds}");
            for (var k = 0; k < scenarios.Count; k++)
            {
                var scenario = scenarios[(round + k) % scenarios.Count];
                Settle();
                await scenario.RunAsync((scenario.Iterations + profile.Rounds - 1) / profile.Rounds);
            }
        }

        var results = scenarios.Select(s => new ScenarioResult(s.Id, s.Name, s.WireFormat, s.Summarize())).ToList();
        IReadOnlyList<KillLatencyRow> kills = OperatingSystem.IsLinux()
            ? await KillLatency.RunAsync(wasm, profile.KillSamples, Progress)
            : [];
        var report = BenchmarkReport.Create(profile, started, EngineFactory.WasmtimeVersion, results, kills);
        Console.Out.Write(report.ToMarkdown());
        if (options.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.ToJson());
            Progress($"wrote {Path.GetFullPath(path)}");
        }

        return 0;
    }

    /// <summary>Collects garbage left by earlier slices, so the next slice does not pay for it.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static void Progress(string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {message}"));
}

/// <summary>Everything one run measured, with the environment it ran in.</summary>
internal sealed record BenchmarkReport(
    string Profile,
    int Warmup,
    int Rounds,
    DateTimeOffset StartedUtc,
    string Runtime,
    string Os,
    string Architecture,
    int ProcessorCount,
    string WasmtimeVersion,
    IReadOnlyList<BenchmarkRow> Scenarios,
    IReadOnlyList<KillLatencyRow> KillLatency)
{
    public static BenchmarkReport Create(BenchmarkProfile profile, DateTimeOffset started, string wasmtimeVersion, IReadOnlyList<ScenarioResult> results, IReadOnlyList<KillLatencyRow> kills)
    {
        var inProcess = results.Single(r => r.Id == Benchmarks.Scenarios.InProcessId).Stats.MeanUs;
        var messagePack = results.Single(r => r.Id == Benchmarks.Scenarios.AddId(WireFormat.MessagePackLengthPrefixed)).Stats.MeanUs;
        var rows = results.Select(r => new BenchmarkRow(
            r.Id,
            r.Name,
            r.WireFormat?.ToString(),
            r.Stats.Iterations,
            Math.Round(r.Stats.P50Us, 3),
            Math.Round(r.Stats.P99Us, 3),
            Math.Round(r.Stats.MeanUs, 3),
            Math.Round(r.Stats.MinUs, 3),
            Math.Round(r.Stats.MaxUs, 3),
            Math.Round(r.Stats.CallsPerSecond),
            Math.Round(r.Stats.MeanUs / inProcess, 4),
            Math.Round(r.Stats.MeanUs / messagePack, 6))).ToList();
        return new BenchmarkReport(
            profile.Name,
            profile.Warmup,
            profile.Rounds,
            started,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription,
            RuntimeInformation.ProcessArchitecture.ToString(),
            Environment.ProcessorCount,
            wasmtimeVersion,
            rows,
            kills);
    }

    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.AppendLine(c, $"Profile `{Profile}`: {Warmup:N0} warm-up calls per scenario, then the timed calls one at a time, interleaved across scenarios in {Rounds} rounds.");
        text.AppendLine(c, $"{Runtime}, {Os}, {Architecture}, {ProcessorCount} logical CPUs, Wasmtime {WasmtimeVersion}; started {StartedUtc:yyyy-MM-dd HH:mm:ss} UTC.");
        text.AppendLine();
        text.AppendLine("| Scenario | Timed calls | p50 µs | p99 µs | mean µs | calls/s | mean ÷ (a) | mean ÷ (b) MessagePack |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in Scenarios)
        {
            text.AppendLine(c, $"| {row.Name} | {row.Iterations:N0} | {row.P50Us:F2} | {row.P99Us:F2} | {row.MeanUs:F2} | {row.CallsPerSecond:N0} | {Ratio(row.RatioVsInProcess)} | {Ratio(row.RatioVsMessagePack)} |");
        }

        text.AppendLine();
        text.AppendLine("calls/s = 1e6 / mean µs (one caller, calls back to back). Ratios divide the row's mean by the reference row's mean. Percentiles are nearest-rank.");
        if (KillLatency.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Kill latency: time from a call's deadline (its plugin timeout) to its `Timeout` error reaching the caller.");
            text.AppendLine();
            text.AppendLine("| Scenario | Samples | deadline ms | p50 ms after | p99 ms after | max ms after |");
            text.AppendLine("|---|--:|--:|--:|--:|--:|");
            foreach (var row in KillLatency)
            {
                text.AppendLine(c, $"| {row.Name} | {row.Samples} | {row.DeadlineMs} | {row.P50AfterDeadlineMs:F2} | {row.P99AfterDeadlineMs:F2} | {row.MaxAfterDeadlineMs:F2} |");
            }
        }

        return text.ToString();
    }

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, BenchmarkJson.Default.BenchmarkReport);

    private static string Ratio(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture) + "×",
        >= 0.1 => value.ToString("F2", CultureInfo.InvariantCulture) + "×",
        _ => value.ToString("G2", CultureInfo.InvariantCulture) + "×",
    };
}

/// <summary>One scenario's figures, as reported.</summary>
internal sealed record BenchmarkRow(
    string Id,
    string Name,
    string? WireFormat,
    int Iterations,
    double P50Us,
    double P99Us,
    double MeanUs,
    double MinUs,
    double MaxUs,
    double CallsPerSecond,
    double RatioVsInProcess,
    double RatioVsMessagePack);

/// <summary>The figures of one scenario.</summary>
/// <param name="Id">A stable identifier, used in the JSON output.</param>
/// <param name="Name">What was called, and how.</param>
/// <param name="WireFormat">The channel encoding, or <see langword="null"/> in process.</param>
/// <param name="Stats">The timed calls' figures.</param>
internal sealed record ScenarioResult(string Id, string Name, WireFormat? WireFormat, LatencyStats Stats);

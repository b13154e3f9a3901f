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

        var report = await MeasureAsync(options!);
        Console.Out.Write(report.ToMarkdown());
        if (options!.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.ToJson());
            Progress($"wrote {Path.GetFullPath(path)}");
        }

        if (options.GuardBaseline is { } baseline && !await GuardAsync(options, report, baseline))
        {
            return 1;
        }

        // Printed first, so the table shows what failed; a reload must not lose a call.
        if (report.Reload.FirstOrDefault(r => r.FailedCalls > 0) is { } failed)
        {
            await Console.Error.WriteLineAsync($"FAILED: {failed.FailedCalls} calls failed {failed.Name}; first: {failed.FirstFailure}");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Applies the regression guard. A target that fails it is measured again (the whole profile, once) and fails CI
    /// only when it fails both times: on a shared 2-core machine one stall can put a p99 past any sane limit, while a
    /// broken hot path fails every run.
    /// </summary>
    private static async Task<bool> GuardAsync(BenchmarkOptions options, BenchmarkReport report, string baseline)
    {
        var first = RegressionGuard.Failures(report.Targets, baseline, Console.Out);
        if (first.Count == 0)
        {
            return true;
        }

        Console.Out.WriteLine();
        Console.Out.WriteLine($"The guard failed on {string.Join(", ", first)}; measuring again to tell a regression from noise.");
        Progress("measuring again: the guard failed on " + string.Join(", ", first));
        var again = await MeasureAsync(options);
        Console.Out.WriteLine();
        Console.Out.Write(again.ToMarkdown());
        var second = RegressionGuard.Failures(again.Targets, baseline, Console.Out);
        var confirmed = RegressionGuard.Confirmed(first, second);
        if (confirmed.Count > 0)
        {
            await Console.Error.WriteLineAsync($"FAILED: the regression guard found a gross regression, twice in a row: {string.Join(", ", confirmed)} (see above)");
            return false;
        }

        Console.Out.WriteLine($"Not confirmed: {string.Join(", ", first)} passed the guard when measured again (noise, not a regression).");
        return true;
    }

    /// <summary>Measures every scenario of the options' profile once and checks the issue's targets against them.</summary>
    private static async Task<BenchmarkReport> MeasureAsync(BenchmarkOptions options)
    {
        var profile = options.Profile;
        var started = DateTimeOffset.UtcNow;

        // The physical pipe references run first, before any supervisor or worker exists, so that nothing of ours
        // competes with them for the cores (the busy-polling one keeps two of them spinning).
        var references = await PipeReferences.RunAsync(profile, Progress);
        var (nativeWorker, nativeNote) = await FindNativeWorkerAsync(options);
        var wasm = Scenarios.LoadModule();
        var manifest = Scenarios.ParseManifest();
        await using var owner = new Scenarios();

        Progress("starting one supervisor (and worker) per wire format");
        var messagePack = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.MessagePackLengthPrefixed);
        await HostCallScenarios.LoadAsync(messagePack);
        var jsonLength = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.JsonLengthPrefixed);
        var jsonHeaders = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.JsonHeaders);
        var direct = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.MessagePackLengthPrefixed, direct: true);
        await HostCallScenarios.LoadAsync(direct);
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

            // A hundred host calls per invoke: a tenth of the calls' samples.
            HostCallScenarios.InProcess(owner, Math.Max(1, profile.CallIterations / 10)),
            HostCallScenarios.Supervised(messagePack, Math.Max(1, profile.CallIterations / 10)),

            // The same three round trips on the direct lane (DirectCalls, opt-in).
            Scenarios.SupervisorAdd(direct, WireFormat.MessagePackLengthPrefixed, profile.CallIterations, direct: true),
            await Scenarios.SupervisorEchoAsync(direct, WireFormat.MessagePackLengthPrefixed, profile.EchoIterations, direct: true),
            HostCallScenarios.Supervised(direct, Math.Max(1, profile.CallIterations / 10), direct: true),
        ];
        if (nativeWorker is not null)
        {
            // The Native AOT worker speaks JSON only; side by side with the default worker on the same format.
            var native = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.JsonLengthPrefixed, nativeWorker);
            scenarios.Add(Scenarios.SupervisorAdd(native, WireFormat.JsonLengthPrefixed, profile.CallIterations, native: true));
            scenarios.Add(Scenarios.SupervisorAddBatch(native, WireFormat.JsonLengthPrefixed, Math.Max(1, profile.CallIterations / 20), native: true));
            scenarios.Add(Scenarios.SupervisorAddBatch(jsonLength, WireFormat.JsonLengthPrefixed, Math.Max(1, profile.CallIterations / 20)));
            var nativeDirect = await owner.StartSupervisorAsync(wasm, manifest, WireFormat.JsonLengthPrefixed, nativeWorker, direct: true);
            scenarios.Add(Scenarios.SupervisorAdd(nativeDirect, WireFormat.JsonLengthPrefixed, profile.CallIterations, native: true, direct: true));
        }

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
            ? await KillLatency.RunAsync(wasm, profile.SpinKillSamples > 0 ? profile.SpinKillSamples : profile.KillSamples, profile.KillSamples, Progress)
            : [];
        var lifecycle = await Lifecycle.RunAsync(wasm, manifest, profile.LifecycleSamples, nativeWorker, Progress);
        var throughput = await Throughput.RunAsync(wasm, profile, Progress);
        var pipelined = await Pipelined.RunAsync(wasm, profile, Progress);
        var footprint = await Footprint.RunAsync(wasm, manifest, profile.FootprintIdle, nativeWorker, Progress);
        var reload = await Reload.RunAsync(wasm, manifest, profile, Progress);
        var report = BenchmarkReport.Create(profile, started, EngineFactory.WasmtimeVersion, results, kills, lifecycle, throughput, reload) with { References = references, Pipelined = pipelined, Footprint = footprint, NativeWorkerNote = nativeNote };
        return report with { Targets = TargetRow.From(report) };
    }

    /// <summary>
    /// The Native AOT worker to measure: the one named, else one published from this checkout now (incremental: seconds
    /// when nothing changed), else none, with the reason.
    /// </summary>
    private static async Task<(string? Path, string? Note)> FindNativeWorkerAsync(BenchmarkOptions options)
    {
        if (options.SkipNative)
        {
            return (null, "left out (--no-native)");
        }

        if (options.NativeWorker is { } configured)
        {
            return File.Exists(configured) ? (Path.GetFullPath(configured), null) : throw new FileNotFoundException("--native-worker: no such file", configured);
        }

        Progress("publishing the Native AOT worker (eng/publish-native-worker.sh; the first time takes a minute or two)");
        var published = await Engineering.NativeWorkerPublisher.PublishAsync(Path.Combine("artifacts", "native-worker"), TimeSpan.FromMinutes(10));
        if (published.Failure is { } failure)
        {
            throw new InvalidOperationException("the Native AOT worker did not build: " + failure);
        }

        if (published.Unavailability is { } reason)
        {
            Progress("the Native AOT worker is not measured: " + reason);
        }

        return (published.WorkerPath, published.Unavailability);
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
    IReadOnlyList<KillLatencyRow> KillLatency,
    IReadOnlyList<LifecycleRow> Lifecycle,
    IReadOnlyList<ThroughputRow> Throughput,
    IReadOnlyList<BatchComparisonRow> BatchComparison,
    IReadOnlyList<ReloadRow> Reload)
{
    /// <summary>Gets the physical pipe references (issue #8): 64-byte round trips between two processes, nothing else on the wire.</summary>
    public IReadOnlyList<ReferenceRow> References { get; init; } = [];

    /// <summary>Gets why the Native AOT worker was not measured, or <see langword="null"/> when it was.</summary>
    public string? NativeWorkerNote { get; init; }

    /// <summary>Gets pipelined throughput: 1, 16 or 64 calls in flight over one and four plugins.</summary>
    public IReadOnlyList<ThroughputRow> Pipelined { get; init; } = [];

    /// <summary>Gets worker and supervisor memory and idle CPU.</summary>
    public IReadOnlyList<FootprintRow> Footprint { get; init; } = [];

    /// <summary>Gets the issue's targets checked against this run.</summary>
    public IReadOnlyList<TargetRow> Targets { get; init; } = [];

    public static BenchmarkReport Create(
        BenchmarkProfile profile,
        DateTimeOffset started,
        string wasmtimeVersion,
        IReadOnlyList<ScenarioResult> results,
        IReadOnlyList<KillLatencyRow> kills,
        IReadOnlyList<LifecycleRow> lifecycle,
        IReadOnlyList<ThroughputRow> throughput,
        IReadOnlyList<ReloadRow> reload)
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
            kills,
            lifecycle,
            throughput,
            BatchComparisonRow.From(results),
            reload);
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

        AppendBatchComparison(text);
        AppendLifecycle(text);
        AppendThroughput(text);
        AppendReload(text);
        ReferenceRow.AppendMarkdown(text, References);
        AppendPipelined(text);
        AppendFootprint(text);
        TargetRow.AppendMarkdown(text, Targets);
        return text.ToString();
    }

    private void AppendBatchComparison(System.Text.StringBuilder text)
    {
        if (BatchComparison.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine(c, $"Batch per row: one row of a {Benchmarks.Scenarios.BatchRows:N0}-row `InvokeBatchAsync` (d) against one call made on its own.");
        text.AppendLine();
        text.AppendLine("| Batch row vs | batch p50 µs/row | its p50 µs | p50 ratio | batch mean µs/row | its mean µs | mean ratio |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var row in BatchComparison)
        {
            text.AppendLine(c, $"| {row.Name} | {row.BatchP50Us:F2} | {row.ReferenceP50Us:F2} | {Ratio(row.P50Ratio)} | {row.BatchMeanUs:F2} | {row.ReferenceMeanUs:F2} | {Ratio(row.MeanRatio)} |");
        }
    }

    private void AppendLifecycle(System.Text.StringBuilder text)
    {
        if (Lifecycle.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("Lifecycle: time from `LoadAsync`'s start to the first `add` result, one fresh supervisor per sample (built before the timer starts).");
        text.AppendLine();
        text.AppendLine("| Variant | Samples | median ms | p99 ms | min ms | modules compiled | median ÷ (L1) |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var row in Lifecycle)
        {
            text.AppendLine(c, $"| {row.Name} | {row.Samples} | {row.MedianMs:F1} | {row.P99Ms:F1} | {row.MinMs:F1} | {row.ModuleCompiles} | {Ratio(row.RatioVsCold)} |");
        }
    }

    private void AppendThroughput(System.Text.StringBuilder text)
    {
        if (Throughput.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        var first = Throughput[0];
        text.AppendLine();
        text.AppendLine(c, $"Throughput: {first.Callers} callers calling back to back, windows interleaved across configurations; calls/s counts all callers, p50/p99 are per call as one caller saw it (queueing included).");
        text.AppendLine();
        text.AppendLine("| Configuration | Call | workers | timed calls | calls/s | p50 µs | p99 µs | calls/s ÷ max_instances 1 |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var row in Throughput)
        {
            text.AppendLine(c, $"| {row.Name} | `{row.Call}` | {row.Plugins} | {row.Calls:N0} | {row.CallsPerSecond:N0} | {row.P50Us:F1} | {row.P99Us:F1} | {Ratio(row.RatioVsOneInstance)} |");
        }
    }

    private void AppendPipelined(System.Text.StringBuilder text)
    {
        if (Pipelined.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("Pipelined `add`: each of N callers issues its next call as soon as the last answers (N calls in flight), over one plugin or spread over four; every plugin has 4 instances; \"calls coalesced\": `CoalesceCalls` on (the calls that wait for an instance go to the worker together).");
        text.AppendLine();
        text.AppendLine("| Configuration | timed calls | calls/s | p50 µs | p99 µs | calls/s ÷ (1 plugin, 1 in flight) |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|");
        foreach (var row in Pipelined)
        {
            text.AppendLine(c, $"| {row.Name} | {row.Calls:N0} | {row.CallsPerSecond:N0} | {row.P50Us:F1} | {row.P99Us:F1} | {Ratio(row.RatioVsOneInstance)} |");
        }
    }

    private void AppendFootprint(System.Text.StringBuilder text)
    {
        if (Footprint.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("Footprint (from /proc):");
        text.AppendLine();
        text.AppendLine("| Figure | median | max | unit |");
        text.AppendLine("|---|--:|--:|---|");
        foreach (var row in Footprint)
        {
            var max = row.Max is { } value ? value.ToString("F2", c) : "–";
            text.AppendLine(c, $"| {row.Name} | {row.Median:F2} | {max} | {row.Unit} |");
        }
    }

    private void AppendReload(System.Text.StringBuilder text)
    {
        if (Reload.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("Reload: per-call `add` latency of concurrent callers, steady and while the plugin is hot-reloaded back to back (`ReloadProbation` 0).");
        text.AppendLine();
        text.AppendLine("| Window | reloads | seconds | calls | failed | p50 µs | p99 µs | max µs | p50 ÷ steady | p99 ÷ steady | max ÷ steady | reload median ms |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in Reload)
        {
            var reloadMs = row.ReloadMedianMs is { } ms ? ms.ToString("F1", c) : "–";
            text.AppendLine(c, $"| {row.Name} | {row.Reloads} | {row.Seconds:F1} | {row.Calls:N0} | {row.FailedCalls} | {row.P50Us:F1} | {row.P99Us:F1} | {row.MaxUs:F1} | {Ratio(row.P50RatioVsSteady)} | {Ratio(row.P99RatioVsSteady)} | {Ratio(row.MaxRatioVsSteady)} | {reloadMs} |");
        }
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

/// <summary>One batch row (d) against a call made on its own.</summary>
/// <param name="Id">A stable identifier.</param>
/// <param name="Name">The call compared with.</param>
/// <param name="BatchP50Us">The batch's p50 per row.</param>
/// <param name="ReferenceP50Us">The single call's p50.</param>
/// <param name="P50Ratio">The batch row's p50 divided by the single call's.</param>
/// <param name="BatchMeanUs">The batch's mean per row.</param>
/// <param name="ReferenceMeanUs">The single call's mean.</param>
/// <param name="MeanRatio">The batch row's mean divided by the single call's.</param>
internal sealed record BatchComparisonRow(string Id, string Name, double BatchP50Us, double ReferenceP50Us, double P50Ratio, double BatchMeanUs, double ReferenceMeanUs, double MeanRatio)
{
    /// <summary>Compares the MessagePack batch with the single supervised call (b) and the in-process call (a), when all ran.</summary>
    public static IReadOnlyList<BatchComparisonRow> From(IReadOnlyList<ScenarioResult> results)
    {
        var format = WireFormat.MessagePackLengthPrefixed;
        var batch = results.SingleOrDefault(r => r.Id == Scenarios.AddBatchId(format))?.Stats;
        var single = results.SingleOrDefault(r => r.Id == Scenarios.AddId(format))?.Stats;
        var inProcess = results.SingleOrDefault(r => r.Id == Scenarios.InProcessId)?.Stats;
        if (batch is null || single is null || inProcess is null)
        {
            return [];
        }

        return
        [
            Compare("batch-vs-single", $"(b) one `add` invoke, supervisor -> worker, {format}", batch, single),
            Compare("batch-vs-inproc", "(a) one `add`, in-process Wasmtime", batch, inProcess),
        ];
    }

    private static BatchComparisonRow Compare(string id, string name, LatencyStats batch, LatencyStats reference) => new(
        id,
        name,
        Math.Round(batch.P50Us, 3),
        Math.Round(reference.P50Us, 3),
        Math.Round(batch.P50Us / reference.P50Us, 4),
        Math.Round(batch.MeanUs, 3),
        Math.Round(reference.MeanUs, 3),
        Math.Round(batch.MeanUs / reference.MeanUs, 4));
}

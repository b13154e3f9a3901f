using System.Globalization;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// One target of issue #8, checked against figures of the same run: the measured value, its reference, their ratio,
/// the bound, and whether it is met. <see cref="Met"/> is <see langword="null"/> when the run could not measure it.
/// </summary>
/// <param name="Id">Stable id.</param>
/// <param name="Target">The target in words.</param>
/// <param name="Measured">The measured figure, with its unit.</param>
/// <param name="Reference">The reference figure, with its unit.</param>
/// <param name="Ratio">Measured ÷ reference (or the figure itself for absolute bounds).</param>
/// <param name="Bound">The bound on <paramref name="Ratio"/>.</param>
/// <param name="AtMost">Whether the bound is an upper bound (else a lower bound).</param>
/// <param name="Met">Whether the target is met.</param>
internal sealed record TargetRow(string Id, string Target, string Measured, string Reference, double Ratio, double Bound, bool AtMost, bool? Met)
{
    /// <summary>Checks every target the report has figures for.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The rows, in the issue's order.</returns>
    public static IReadOnlyList<TargetRow> From(BenchmarkReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var rows = new List<TargetRow>();
        var r1 = report.References.FirstOrDefault(r => r.Id == "r1-async-1" && r.NotMeasured is null);
        var block64 = report.References.FirstOrDefault(r => r.Id == "native-block-64" && r.NotMeasured is null);
        var add = report.Scenarios.FirstOrDefault(s => s.Id == Scenarios.AddId(Protocol.WireFormat.MessagePackLengthPrefixed));
        var ping = report.Scenarios.FirstOrDefault(s => s.Id == HostCallScenarios.SupervisedId);
        var inProcess = report.Scenarios.FirstOrDefault(s => s.Id == Scenarios.InProcessId);
        var batch = report.Scenarios.FirstOrDefault(s => s.Id == Scenarios.AddBatchId(Protocol.WireFormat.MessagePackLengthPrefixed));

        if (add is not null && r1 is not null)
        {
            rows.Add(Upper("invoke-p50", "invoke round trip p50 ≤ 1.5× R1 p50", add.P50Us, r1.P50Us, "µs", 1.5));
            rows.Add(Upper("invoke-p99", "invoke round trip p99 ≤ 2× R1 p99", add.P99Us, r1.P99Us, "µs", 2));
        }

        if (add is not null && ping is not null && r1 is not null)
        {
            var hostCall = Math.Max(0, (ping.P50Us - add.P50Us) / HostCallScenarios.HostCalls);
            rows.Add(Upper("hostcall-p50", $"host call inside an invoke p50 ≤ 1.5× R1 p50 (derived: (ping({HostCallScenarios.HostCalls}) − add) / {HostCallScenarios.HostCalls})", hostCall, r1.P50Us, "µs", 1.5));
        }

        // The same three on the direct lane (opt-in): the round trips without JSON-RPC's dispatch.
        var directAdd = report.Scenarios.FirstOrDefault(s => s.Id == Scenarios.AddId(Protocol.WireFormat.MessagePackLengthPrefixed) + Scenarios.DirectSuffix);
        var directPing = report.Scenarios.FirstOrDefault(s => s.Id == HostCallScenarios.SupervisedId + Scenarios.DirectSuffix);
        if (directAdd is not null && r1 is not null)
        {
            rows.Add(Upper("invoke-p50-direct", "invoke round trip p50 ≤ 1.5× R1 p50, direct lane (opt-in)", directAdd.P50Us, r1.P50Us, "µs", 1.5));
            rows.Add(Upper("invoke-p99-direct", "invoke round trip p99 ≤ 2× R1 p99, direct lane (opt-in)", directAdd.P99Us, r1.P99Us, "µs", 2));
            if (directPing is not null)
            {
                var hostCall = Math.Max(0, (directPing.P50Us - directAdd.P50Us) / HostCallScenarios.HostCalls);
                rows.Add(Upper("hostcall-p50-direct", $"host call inside an invoke p50 ≤ 1.5× R1 p50, direct lane (opt-in; derived as above)", hostCall, r1.P50Us, "µs", 1.5));
            }
        }

        foreach (var (id, target, suffix) in (ReadOnlySpan<(string, string, string)>)[("pipe-1p-64", "pipelined-64", string.Empty), ("pipe-coalesced-1p-64", "pipelined-64-coalesced", ", calls coalesced (opt-in)"), ("pipe-direct-1p-64", "pipelined-64-direct", ", direct calls and coalescing (opt-in)")])
        {
            if (report.Pipelined.FirstOrDefault(p => p.Id == id) is { } pipelined && block64 is not null)
            {
                rows.Add(new TargetRow(
                    target,
                    $"one plugin, 64 in flight ≥ 25% of the blocking native program's pipelined rate{suffix}",
                    string.Create(c, $"{pipelined.CallsPerSecond:N0} calls/s"),
                    string.Create(c, $"{block64.MessagesPerSecond:N0} msgs/s"),
                    Math.Round(pipelined.CallsPerSecond / block64.MessagesPerSecond, 4),
                    0.25,
                    AtMost: false,
                    pipelined.CallsPerSecond / block64.MessagesPerSecond >= 0.25));
            }
        }

        if (batch is not null && inProcess is not null)
        {
            rows.Add(Upper("batch-row", "batch invoke per-row cost ≤ 3× the in-process call (p50)", batch.P50Us, inProcess.P50Us, "µs", 3));
        }

        var cold = report.Lifecycle.FirstOrDefault(l => l.Id == Lifecycle.ColdId);
        var warm = report.Lifecycle.FirstOrDefault(l => l.Id == "lifecycle-warm-pool");
        var cacheHit = report.Lifecycle.FirstOrDefault(l => l.Id == "lifecycle-cache-hit");
        var nativeCold = report.Lifecycle.FirstOrDefault(l => l.Id == Lifecycle.NativeColdId);
        if (cold is not null && nativeCold is not null)
        {
            rows.Add(Upper("cold-start", "cold load-to-first-call, Native AOT worker ≤ 20% of the framework-dependent worker's", nativeCold.MedianMs, cold.MedianMs, "ms", 0.2));
        }
        else if (cold is not null)
        {
            rows.Add(new TargetRow("cold-start", "cold load-to-first-call, Native AOT worker ≤ 20% of the framework-dependent worker's", "not measured", $"Native AOT worker: {report.NativeWorkerNote}", 1, 0.2, AtMost: true, Met: null));
        }

        if (warm is not null && cold is not null)
        {
            rows.Add(Upper("warm-pool", "warm-pool load-to-first-call ≤ 5% of a cold one", warm.MedianMs, cold.MedianMs, "ms", 0.05));
        }

        if (cacheHit is not null)
        {
            rows.Add(new TargetRow("cache-hit", "cache-hit load compiles nothing", string.Create(c, $"{cacheHit.ModuleCompiles} modules compiled"), "0", cacheHit.ModuleCompiles, 0, AtMost: true, cacheHit.ModuleCompiles == 0));
        }

        if (report.KillLatency.FirstOrDefault(k => k.Id == "kill-spin") is { } spin)
        {
            rows.Add(Absolute("kill-spin", "spinning plugin: error ≤ 15 ms after its deadline (p99)", spin.P99AfterDeadlineMs, "ms", 15));
        }

        if (report.KillLatency.FirstOrDefault(k => k.Id == "kill-stopped") is { } stopped)
        {
            rows.Add(Absolute("kill-stopped", "stopped worker: killed and error returned ≤ 250 ms after its deadline (p99)", stopped.P99AfterDeadlineMs, "ms", 250));
        }

        if (report.Footprint.FirstOrDefault(f => f.Id == "worker-idle-cpu") is { } idleCpu)
        {
            rows.Add(Absolute("idle-cpu", "idle worker ≤ 1% of a core (median)", idleCpu.Median, "% of a core", 1));
        }

        // Memory is the Native AOT worker's when it was measured: it is the build to deploy where footprint matters.
        if (report.Footprint.FirstOrDefault(f => f.Id == "native-worker-rss-idle") is { } nativeRss)
        {
            rows.Add(Absolute("idle-rss", "idle worker resident memory ≤ 40 MiB (median, Native AOT worker)", nativeRss.Median, "MiB", 40));
        }
        else if (report.Footprint.FirstOrDefault(f => f.Id == "worker-rss-idle") is { } rss)
        {
            rows.Add(Absolute("idle-rss", "idle worker resident memory ≤ 40 MiB (median, framework-dependent worker)", rss.Median, "MiB", 40));
        }

        return rows;
    }

    /// <summary>Appends the table.</summary>
    /// <param name="text">The Markdown being built.</param>
    /// <param name="rows">The rows.</param>
    public static void AppendMarkdown(System.Text.StringBuilder text, IReadOnlyList<TargetRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("Targets (issue #8), from this run's figures:");
        text.AppendLine();
        text.AppendLine("| Target | measured | reference | ratio | bound | met |");
        text.AppendLine("|---|--:|--:|--:|--:|:-:|");
        foreach (var row in rows)
        {
            var met = row.Met switch { true => "yes", false => "**no**", null => "–" };
            text.AppendLine(c, $"| {row.Target} | {row.Measured} | {row.Reference} | {row.Ratio:G4} | {(row.AtMost ? "≤" : "≥")} {row.Bound:G4} | {met} |");
        }
    }

    private static TargetRow Upper(string id, string target, double measured, double reference, string unit, double bound)
    {
        var ratio = measured / reference;
        return new TargetRow(id, target, Format(measured, unit), Format(reference, unit), Math.Round(ratio, 4), bound, AtMost: true, ratio <= bound);
    }

    private static TargetRow Absolute(string id, string target, double measured, string unit, double bound)
        => new(id, target, Format(measured, unit), "–", Math.Round(measured, 4), bound, AtMost: true, measured <= bound);

    private static string Format(double value, string unit) => string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {unit}");
}

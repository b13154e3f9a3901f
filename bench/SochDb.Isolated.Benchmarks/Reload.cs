using System.Diagnostics;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// Reload: per-call latency of a few callers calling <c>add</c> continuously, in a steady window and then in a window in
/// which the plugin is hot-reloaded back to back, alternating between the bench module and a copy of it that differs by
/// one custom section (so each reload is a new generation, and the first reload to each variant compiles it). Every
/// call must succeed: failed calls are counted per window, and the runner fails the run when there are any.
/// </summary>
internal static class Reload
{
    private const int Warmup = 0;
    private const int Steady = 1;
    private const int Reloading = 2;
    private const int Done = 3;

    /// <summary>Runs the steady window, then the reloads.</summary>
    /// <param name="wasm">The bench module.</param>
    /// <param name="manifest">The bench manifest.</param>
    /// <param name="profile">The callers, the steady window and the reload count.</param>
    /// <param name="progress">Reports progress.</param>
    /// <returns>Two rows: steady, then during reloads.</returns>
    public static async Task<IReadOnlyList<ReloadRow>> RunAsync(byte[] wasm, PluginManifest manifest, BenchmarkProfile profile, Action<string> progress)
    {
        byte[][] modules = [wasm, WithCustomSection(wasm, "sochdb-bench-variant-b")];
        await using var supervisor = new PluginSupervisor(new PluginSupervisorOptions
        {
            // The old generation stops as soon as it is drained, so reloads do not pile up workers.
            ReloadProbation = TimeSpan.Zero,
        });
        await supervisor.LoadAsync(Scenarios.PluginId, wasm, manifest);

        var phase = new PhaseBox(Warmup);
        progress($"reload: {profile.ReloadCallers} callers, {profile.ThroughputWarmup.TotalSeconds:0.#} s warm-up, {profile.ReloadSteady.TotalSeconds:0.#} s steady");
        var callers = Enumerable.Range(0, profile.ReloadCallers).Select(_ => CallerAsync(supervisor, phase)).ToArray();
        var reloadMs = new List<double>();
        double steadySeconds;
        double reloadingSeconds;
        PhaseCalls[][] results;
        try
        {
            await Task.Delay(profile.ThroughputWarmup);
            var started = Stopwatch.GetTimestamp();
            Volatile.Write(ref phase.Value, Steady);
            await Task.Delay(profile.ReloadSteady);
            steadySeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

            started = Stopwatch.GetTimestamp();
            Volatile.Write(ref phase.Value, Reloading);
            for (var k = 0; k < profile.Reloads; k++)
            {
                progress($"reload: {k + 1} of {profile.Reloads}");
                var reloadStarted = Stopwatch.GetTimestamp();
                await supervisor.HotReloadAsync(Scenarios.PluginId, modules[(k + 1) % modules.Length], manifest);
                reloadMs.Add(Stopwatch.GetElapsedTime(reloadStarted).TotalMilliseconds);
            }

            reloadingSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        finally
        {
            // Also when a reload failed: the callers stop before the supervisor is disposed.
            Volatile.Write(ref phase.Value, Done);
            results = await Task.WhenAll(callers);
        }

        var generation = supervisor.ListPlugins().Single().Generation;
        Scenarios.Expect(generation == 1 + profile.Reloads, $"the plugin is at generation {generation} after {profile.Reloads} reloads, not {1 + profile.Reloads}");
        var workers = supervisor.GetRuntimeStats().WorkersStarted;
        Scenarios.Expect(workers == 1 + profile.Reloads, $"{workers} workers started for 1 load and {profile.Reloads} reloads (a worker was replaced)");

        double[] sortedReloads = [.. reloadMs.Order()];
        var steady = Merge(results, Steady);
        var reloading = Merge(results, Reloading);
        Scenarios.Expect(steady.Ticks.Count > 0, "no call succeeded in the steady window: " + steady.Failures.FirstOrDefault());
        Scenarios.Expect(reloading.Ticks.Count > 0, "no call succeeded during the reloads: " + reloading.Failures.FirstOrDefault());
        var steadyStats = LatencyStats.FromTicks([.. steady.Ticks]);
        return
        [
            ReloadRow.From("reload-steady", "steady: no reload", 0, steady, steadyStats, steadySeconds, steadyStats, null),
            ReloadRow.From(
                "reload-during",
                $"during {profile.Reloads} back-to-back hot reloads",
                profile.Reloads,
                reloading,
                LatencyStats.FromTicks([.. reloading.Ticks]),
                reloadingSeconds,
                steadyStats,
                LifecycleRow.Rank(sortedReloads, 0.5)),
        ];
    }

    /// <summary>Appends a custom section to a module: different bytes (a different cache key), same behaviour.</summary>
    private static byte[] WithCustomSection(byte[] wasm, string name)
    {
        // Section id 0, then its size and the name as a vector; both stay under 128, so each length is one LEB128 byte.
        var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length + 1 >= 128)
        {
            throw new ArgumentOutOfRangeException(nameof(name), name, "the custom section's name must be shorter than 127 bytes");
        }

        return [.. wasm, 0, (byte)(nameBytes.Length + 1), (byte)nameBytes.Length, .. nameBytes];
    }

    /// <summary>One caller: calls <c>add</c> back to back until the phase is <see cref="Done"/>; each call counts in the phase it started in.</summary>
    private static async Task<PhaseCalls[]> CallerAsync(PluginSupervisor supervisor, PhaseBox phase)
    {
        await Task.Yield();
        PhaseCalls[] calls = [new(), new(), new()];
        IReadOnlyList<PluginValue> args = [PluginValue.I32(1), PluginValue.I32(2)];
        while (Volatile.Read(ref phase.Value) is var current && current != Done)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                var result = await supervisor.InvokeAsync(Scenarios.PluginId, "add", args);
                var elapsed = Stopwatch.GetTimestamp() - start;
                if (result.Values.Count == 1 && result.Values[0].AsI32() == 3)
                {
                    calls[current].Ticks.Add(elapsed);
                }
                else
                {
                    calls[current].Failures.Add("add(1, 2) did not return 3");
                }
            }
            catch (PluginException ex)
            {
                calls[current].Failures.Add($"{ex.Kind}: {ex.Message}");
            }
        }

        return calls;
    }

    private static PhaseCalls Merge(PhaseCalls[][] callers, int phase)
    {
        var merged = new PhaseCalls();
        foreach (var caller in callers)
        {
            merged.Ticks.AddRange(caller[phase].Ticks);
            merged.Failures.AddRange(caller[phase].Failures);
        }

        return merged;
    }

    /// <summary>The phase the callers are in, shared between them and the controller.</summary>
    private sealed class PhaseBox(int value)
    {
        public int Value = value;
    }
}

/// <summary>The calls one caller (or all, merged) made in one phase.</summary>
internal sealed class PhaseCalls
{
    /// <summary>Gets the successful calls' durations, in <see cref="Stopwatch"/> ticks.</summary>
    public List<long> Ticks { get; } = [];

    /// <summary>Gets the failed calls' errors.</summary>
    public List<string> Failures { get; } = [];
}

/// <summary>One reload window's figures.</summary>
/// <param name="Id">A stable identifier.</param>
/// <param name="Name">The window.</param>
/// <param name="Reloads">Hot reloads in the window.</param>
/// <param name="Seconds">The window's wall-clock length.</param>
/// <param name="Calls">Calls that succeeded.</param>
/// <param name="FailedCalls">Calls that failed (must be 0).</param>
/// <param name="P50Us">Per-call median (nearest rank).</param>
/// <param name="P99Us">Per-call 99th percentile (nearest rank).</param>
/// <param name="MaxUs">The slowest call.</param>
/// <param name="P50RatioVsSteady">p50 divided by the steady window's p50.</param>
/// <param name="P99RatioVsSteady">p99 divided by the steady window's p99.</param>
/// <param name="MaxRatioVsSteady">Max divided by the steady window's max.</param>
/// <param name="ReloadMedianMs">The median time one <c>HotReloadAsync</c> took (start, health check, switch, drain), or <see langword="null"/>.</param>
/// <param name="FirstFailure">The first failed call's error, or <see langword="null"/>.</param>
internal sealed record ReloadRow(
    string Id,
    string Name,
    int Reloads,
    double Seconds,
    int Calls,
    int FailedCalls,
    double P50Us,
    double P99Us,
    double MaxUs,
    double P50RatioVsSteady,
    double P99RatioVsSteady,
    double MaxRatioVsSteady,
    double? ReloadMedianMs,
    string? FirstFailure)
{
    public static ReloadRow From(string id, string name, int reloads, PhaseCalls calls, LatencyStats stats, double seconds, LatencyStats steady, double? reloadMedianMs) => new(
        id,
        name,
        reloads,
        Math.Round(seconds, 3),
        calls.Ticks.Count,
        calls.Failures.Count,
        Math.Round(stats.P50Us, 2),
        Math.Round(stats.P99Us, 2),
        Math.Round(stats.MaxUs, 2),
        Math.Round(stats.P50Us / steady.P50Us, 3),
        Math.Round(stats.P99Us / steady.P99Us, 3),
        Math.Round(stats.MaxUs / steady.MaxUs, 3),
        reloadMedianMs is { } ms ? Math.Round(ms, 2) : null,
        calls.Failures.FirstOrDefault());
}

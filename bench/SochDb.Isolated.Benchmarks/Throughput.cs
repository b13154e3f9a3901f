using System.Diagnostics;
using System.Globalization;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// Throughput of one plugin under many callers: a plugin whose manifest sets <c>max_instances</c> 1, 2 and 4 (calls it
/// may run at once, each in its own store inside its one worker), and two plugins at <c>max_instances</c> 1 (two
/// workers) with the callers spread over both. Each configuration is driven by the same number of callers calling back
/// to back for fixed windows, interleaved across configurations in rounds after an untimed warm-up, for <c>add</c>
/// (dominated by the round trip) and for the CPU-bound <c>work</c> export.
/// </summary>
internal static class Throughput
{
    /// <summary>The loop rounds of each <c>work</c> call.</summary>
    public const int WorkRounds = 1_000_000;

    /// <summary>The expected result of <c>work(WorkRounds)</c>: the wrapping sum 0 + 1 + ... + (WorkRounds - 1).</summary>
    private const int WorkResult = unchecked((int)((long)WorkRounds * (WorkRounds - 1) / 2));

    /// <summary>Runs every configuration for both exports on one supervisor.</summary>
    /// <param name="wasm">The bench module.</param>
    /// <param name="profile">The durations and caller count.</param>
    /// <param name="progress">Reports progress.</param>
    /// <returns>One row per export and configuration, <c>add</c> first.</returns>
    public static async Task<IReadOnlyList<ThroughputRow>> RunAsync(byte[] wasm, BenchmarkProfile profile, Action<string> progress)
    {
        await using var supervisor = new PluginSupervisor(new PluginSupervisorOptions
        {
            // The work calls burn fuel quickly; the lifetime budget must outlast the run.
            FuelBudget = 1_000_000_000_000_000_000,
            MaxInstancesPerPlugin = 4,
        });
        ThroughputConfig[] configs =
        [
            new("mi1", "1 plugin × max_instances 1", 1, ["tput-mi1"]),
            new("mi2", "1 plugin × max_instances 2", 2, ["tput-mi2"]),
            new("mi4", "1 plugin × max_instances 4", 4, ["tput-mi4"]),
            new("2x-mi1", "2 plugins × max_instances 1", 1, ["tput-2x-a", "tput-2x-b"]),
        ];
        foreach (var config in configs)
        {
            foreach (var plugin in config.PluginIds)
            {
                progress($"throughput: loading {plugin} (max_instances {config.MaxInstances})");
                await supervisor.LoadAsync(plugin, wasm, Manifest(plugin, config.MaxInstances));
            }
        }

        ThroughputExport[] exports =
        [
            new("add", "add(1, 2)", [PluginValue.I32(1), PluginValue.I32(2)], 3),
            new("work", $"work({WorkRounds:N0})", [PluginValue.I32(WorkRounds)], WorkResult),
        ];
        List<ThroughputRow> rows = [];
        foreach (var export in exports)
        {
            foreach (var config in configs)
            {
                progress($"throughput: warming up {export.Function} on {config.Id} ({profile.ThroughputWarmup.TotalSeconds:0.#} s)");
                await RunWindowAsync(supervisor, config, export, profile.ThroughputCallers, profile.ThroughputWarmup);
            }

            var samples = configs.Select(_ => new Window()).ToArray();
            for (var round = 0; round < profile.ThroughputRounds; round++)
            {
                progress($"throughput: {export.Function}, round {round + 1} of {profile.ThroughputRounds}");
                for (var k = 0; k < configs.Length; k++)
                {
                    var index = (round + k) % configs.Length;
                    samples[index].Add(await RunWindowAsync(supervisor, configs[index], export, profile.ThroughputCallers, profile.ThroughputWindow));
                }
            }

            var baseline = samples[0].CallsPerSecond;
            rows.AddRange(configs.Select((c, i) => ThroughputRow.From(export, c, profile.ThroughputCallers, samples[i], baseline)));
        }

        return rows;
    }

    internal static PluginManifest Manifest(string name, int maxInstances)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            [plugin]
            name = "{name}"
            version = "1.0.0"

            [resources]
            max_instances = {maxInstances}
            timeout_ms = 10000
            fuel_limit = 1_000_000_000

            [exports]
            functions = ["add", "work"]
            """);
        var parsed = ManifestParser.Parse(text);
        return parsed.Manifest ?? throw new InvalidOperationException($"{name} manifest is invalid: " + string.Join("; ", parsed.Diagnostics));
    }

    /// <summary>
    /// Starts <paramref name="callers"/> callers, caller i on plugin i mod the plugins, each calling back to back until
    /// <paramref name="duration"/> has passed since the start; the window ends when the last call returns.
    /// </summary>
    internal static async Task<Window> RunWindowAsync(PluginSupervisor supervisor, ThroughputConfig config, ThroughputExport export, int callers, TimeSpan duration)
    {
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perCaller = await Task.WhenAll(Enumerable.Range(0, callers).Select(i => CallerAsync(supervisor, config.PluginIds[i % config.PluginIds.Count], export, deadline)));
        var window = new Window();
        window.Add(perCaller.SelectMany(t => t), Stopwatch.GetTimestamp() - started);
        return window;
    }

    private static async Task<List<long>> CallerAsync(PluginSupervisor supervisor, string pluginId, ThroughputExport export, long deadline)
    {
        // Yield first, so that every caller is started before any of them makes its first call.
        await Task.Yield();
        List<long> ticks = [];
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var start = Stopwatch.GetTimestamp();
            var result = await supervisor.InvokeAsync(pluginId, export.Function, export.Args);
            ticks.Add(Stopwatch.GetTimestamp() - start);
            if (result.Values.Count != 1 || result.Values[0].AsI32() != export.Expected)
            {
                throw new InvalidOperationException($"{pluginId}: {export.Call} did not return {export.Expected}");
            }
        }

        return ticks;
    }

    /// <summary>The calls of one or more timed windows of one configuration.</summary>
    internal sealed class Window
    {
        private readonly List<long> ticks = [];

        public long ElapsedTicks { get; private set; }

        public IReadOnlyList<long> Ticks => ticks;

        /// <summary>Gets the calls completed per second of wall-clock time, over all windows.</summary>
        public double CallsPerSecond => ticks.Count / ((double)ElapsedTicks / Stopwatch.Frequency);

        public void Add(IEnumerable<long> calls, long elapsedTicks)
        {
            ticks.AddRange(calls);
            ElapsedTicks += elapsedTicks;
        }

        public void Add(Window other) => Add(other.ticks, other.ElapsedTicks);
    }
}

/// <summary>A set of plugins the callers spread over.</summary>
/// <param name="Id">A stable identifier, part of the row's.</param>
/// <param name="Name">As printed.</param>
/// <param name="MaxInstances">Each plugin's manifest <c>max_instances</c>.</param>
/// <param name="PluginIds">The plugins, one worker each.</param>
internal sealed record ThroughputConfig(string Id, string Name, int MaxInstances, IReadOnlyList<string> PluginIds);

/// <summary>An export the callers call, with its arguments and expected <c>i32</c> result.</summary>
internal sealed record ThroughputExport(string Function, string Call, IReadOnlyList<PluginValue> Args, int Expected);

/// <summary>One throughput configuration's figures for one export.</summary>
/// <param name="Id">A stable identifier.</param>
/// <param name="Name">The configuration.</param>
/// <param name="Call">The call made.</param>
/// <param name="Plugins">Plugins (workers) the callers spread over.</param>
/// <param name="MaxInstances">Each plugin's <c>max_instances</c>.</param>
/// <param name="Callers">Concurrent callers.</param>
/// <param name="Calls">Timed calls completed.</param>
/// <param name="Seconds">Timed wall-clock seconds.</param>
/// <param name="CallsPerSecond">Calls completed per wall-clock second, all callers together.</param>
/// <param name="P50Us">Per-call median as one caller saw it, queueing included (nearest rank).</param>
/// <param name="P99Us">Per-call 99th percentile (nearest rank).</param>
/// <param name="RatioVsOneInstance">Calls/s divided by the same export's <c>max_instances</c> 1 row.</param>
internal sealed record ThroughputRow(
    string Id,
    string Name,
    string Call,
    int Plugins,
    int MaxInstances,
    int Callers,
    int Calls,
    double Seconds,
    double CallsPerSecond,
    double P50Us,
    double P99Us,
    double RatioVsOneInstance)
{
    public static ThroughputRow From(ThroughputExport export, ThroughputConfig config, int callers, Throughput.Window window, double baselineCallsPerSecond)
    {
        var stats = LatencyStats.FromTicks([.. window.Ticks]);
        var callsPerSecond = window.CallsPerSecond;
        return new ThroughputRow(
            $"tput-{export.Function}-{config.Id}",
            config.Name,
            export.Call,
            config.PluginIds.Count,
            config.MaxInstances,
            callers,
            stats.Iterations,
            Math.Round((double)window.ElapsedTicks / Stopwatch.Frequency, 3),
            Math.Round(callsPerSecond, 1),
            Math.Round(stats.P50Us, 2),
            Math.Round(stats.P99Us, 2),
            Math.Round(callsPerSecond / baselineCallsPerSecond, 3));
    }
}

using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// Pipelined throughput: 1, 16 or 64 calls of <c>add</c> kept in flight (each caller issues its next call as soon as
/// the last answers), over one plugin and over four, every plugin with four instances. The ratio column is against
/// one call in flight to one plugin. Every configuration runs twice: as configured by default, and with
/// <see cref="PluginSupervisorOptions.CoalesceCalls"/> on.
/// </summary>
internal static class Pipelined
{
    /// <summary>The calls kept in flight.</summary>
    private static readonly int[] InFlight = [1, 16, 64];

    /// <summary>Runs the configurations, interleaved by round.</summary>
    /// <param name="wasm">The bench module.</param>
    /// <param name="profile">Windows and rounds.</param>
    /// <param name="progress">Progress output.</param>
    /// <returns>One row per plugin count and calls in flight.</returns>
    public static async Task<IReadOnlyList<ThroughputRow>> RunAsync(byte[] wasm, BenchmarkProfile profile, Action<string> progress)
    {
        const int Instances = 4;
        await using var supervisor = new PluginSupervisor(Options(Instances, coalesce: false, direct: false));
        await using var coalescing = new PluginSupervisor(Options(Instances, coalesce: true, direct: false));
        await using var direct = new PluginSupervisor(Options(Instances, coalesce: true, direct: true));
        string[] four = ["pipe-a", "pipe-b", "pipe-c", "pipe-d"];
        foreach (var plugin in four)
        {
            progress($"pipelined: loading {plugin}, without and with call coalescing");
            await supervisor.LoadAsync(plugin, wasm, Throughput.Manifest(plugin, Instances));
            await coalescing.LoadAsync(plugin, wasm, Throughput.Manifest(plugin, Instances));
        }

        progress("pipelined: loading pipe-a with direct calls and coalescing");
        await direct.LoadAsync(four[0], wasm, Throughput.Manifest(four[0], Instances));

        // Direct calls: one plugin only (the lane is per worker; four plugins add nothing to what it shows).
        (string Prefix, string Label, PluginSupervisor Owner, int[] Plugins)[] modes =
        [
            (string.Empty, string.Empty, supervisor, [1, 4]),
            ("coalesced-", ", calls coalesced", coalescing, [1, 4]),
            ("direct-", ", direct calls and coalescing", direct, [1]),
        ];
        var configs = (from mode in modes
                       from plugins in mode.Plugins
                       from inFlight in InFlight
                       select (
                           Config: new ThroughputConfig(
                               $"{mode.Prefix}{plugins}p-{inFlight}",
                               $"{plugins} plugin{(plugins > 1 ? "s" : string.Empty)}, {inFlight} in flight{mode.Label}",
                               Instances,
                               four[..plugins]),
                           InFlight: inFlight,
                           Supervisor: mode.Owner)).ToArray();
        var export = new ThroughputExport("add", "add(1, 2)", [PluginValue.I32(1), PluginValue.I32(2)], 3);
        foreach (var (config, inFlight, owner) in configs)
        {
            progress($"pipelined: warming up {config.Id}");
            await Throughput.RunWindowAsync(owner, config, export, inFlight, profile.ThroughputWarmup / 2);
        }

        var windows = configs.Select(_ => new Throughput.Window()).ToArray();
        for (var round = 0; round < profile.ThroughputRounds; round++)
        {
            progress($"pipelined: round {round + 1} of {profile.ThroughputRounds}");
            for (var k = 0; k < configs.Length; k++)
            {
                var index = (round + k) % configs.Length;
                windows[index].Add(await Throughput.RunWindowAsync(configs[index].Supervisor, configs[index].Config, export, configs[index].InFlight, profile.ThroughputWindow));
            }
        }

        var baseline = windows[0].CallsPerSecond;
        return [.. configs.Select((c, i) => ThroughputRow.From(export, c.Config, c.InFlight, windows[i], baseline) with { Id = "pipe-" + c.Config.Id })];
    }

    private static PluginSupervisorOptions Options(int instances, bool coalesce, bool direct) => new()
    {
        FuelBudget = 1_000_000_000_000_000_000,
        MaxInstancesPerPlugin = instances,
        CoalesceCalls = coalesce,
        DirectCalls = direct,
    };
}

using System.Diagnostics;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// Lifecycle: time from <c>LoadAsync</c>'s start to the first <c>add</c> result, on a fresh supervisor per sample,
/// for (L1) a cold start with no module cache, (L2) a start whose module cache folder already holds the compiled
/// artifact, and (L3) a warm worker pool. The supervisor is built before the timed region
/// and disposed after it; samples are interleaved across the variants with a rotating start.
/// </summary>
internal static class Lifecycle
{
    public const string ColdId = "lifecycle-cold";

    /// <summary>The id of (L4), the cold start of the Native AOT worker.</summary>
    public const string NativeColdId = "lifecycle-cold-native";

    /// <summary>Runs every variant <paramref name="samples"/> times.</summary>
    /// <param name="wasm">The bench module.</param>
    /// <param name="manifest">The bench manifest.</param>
    /// <param name="samples">Samples per variant.</param>
    /// <param name="nativeWorker">The Native AOT worker for (L4), or <see langword="null"/> to leave it out.</param>
    /// <param name="progress">Reports progress.</param>
    /// <returns>One row per variant, L1 first.</returns>
    public static async Task<IReadOnlyList<LifecycleRow>> RunAsync(byte[] wasm, PluginManifest manifest, int samples, string? nativeWorker, Action<string> progress)
    {
        // Created 0700, as the module cache requires; the cache itself is a folder the supervisor creates inside it.
        var folder = Directory.CreateTempSubdirectory("sochdb-bench-lifecycle-");
        try
        {
            var variants = Variants(Path.Combine(folder.FullName, "module-cache"), nativeWorker);
            foreach (var variant in variants.Where(v => v.SeedCache))
            {
                progress($"lifecycle: seeding the module cache for {variant.Id}");
                await SeedAsync(variant, wasm, manifest);
            }

            var times = variants.Select(_ => new double[samples]).ToArray();
            var compiles = new long[variants.Count];
            for (var i = 0; i < samples; i++)
            {
                progress($"lifecycle: sample {i + 1} of {samples} ({variants.Count} variants)");
                for (var k = 0; k < variants.Count; k++)
                {
                    var index = (i + k) % variants.Count;
                    (times[index][i], var misses) = await SampleAsync(variants[index], wasm, manifest);
                    compiles[index] += misses;
                }
            }

            var cold = Median(times[0]);
            return [.. variants.Select((v, index) => LifecycleRow.From(v.Id, v.Name, times[index], compiles[index], cold))];
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The variants, L1 first (the others' ratios divide by its median).</summary>
    /// <param name="cacheFolder">The module cache folder the cache-hit variant uses.</param>
    /// <param name="nativeWorker">The Native AOT worker, or <see langword="null"/>.</param>
    private static List<LifecycleVariant> Variants(string cacheFolder, string? nativeWorker)
    {
        List<LifecycleVariant> variants =
        [
            new(
                ColdId,
                "(L1) cold: new supervisor, no module cache (compile + worker start)",
                Configure: _ => { },
                SeedCache: false,
                BeforeLoadAsync: null,
                Check: stats => Scenarios.Expect(stats.ModuleCacheMisses == 1, $"cold load compiled {stats.ModuleCacheMisses} modules, not 1")),
            new(
                "lifecycle-cache-hit",
                "(L2) cache hit: new supervisor, artifact in ModuleCacheDirectory (no compile)",
                Configure: o => o.ModuleCacheDirectory = cacheFolder,
                SeedCache: true,
                BeforeLoadAsync: null,
                Check: stats => Scenarios.Expect(
                    stats.ModuleCacheMisses == 0 && stats.ModuleCacheDiskHits == 1,
                    $"cache-hit load had {stats.ModuleCacheMisses} misses and {stats.ModuleCacheDiskHits} disk hits, not 0 and 1")),
        ];
        variants.Add(WarmPool());
        if (nativeWorker is not null)
        {
            // The same cold path as (L1), compile included, with only the worker build changed.
            variants.Add(new(
                NativeColdId,
                "(L4) cold, Native AOT worker: new supervisor, no module cache (compile + worker start)",
                Configure: o => o.WorkerPath = nativeWorker,
                SeedCache: false,
                BeforeLoadAsync: null,
                Check: stats => Scenarios.Expect(stats.ModuleCacheMisses == 1, $"native cold load compiled {stats.ModuleCacheMisses} modules, not 1")));
        }

        return variants;
    }

    /// <summary>
    /// (L3) warm pool: a supervisor with <c>WarmPoolSize = 1</c>, sampled once its idle worker is up and prewarmed
    /// (untimed), so the load adopts a running worker instead of starting one.
    /// </summary>
    private static LifecycleVariant WarmPool() => new(
        "lifecycle-warm-pool",
        "(L3) warm pool: new supervisor, WarmPoolSize = 1 (worker already running, prewarmed)",
        Configure: o => o.WarmPoolSize = 1,
        SeedCache: false,
        BeforeLoadAsync: WaitForWarmWorkerAsync,
        Check: stats => Scenarios.Expect(stats.WarmPoolAdoptions == 1, $"the load adopted {stats.WarmPoolAdoptions} warm workers, not 1"));

    /// <summary>Waits (untimed, bounded) until the supervisor's pool holds a ready worker.</summary>
    private static async Task WaitForWarmWorkerAsync(PluginSupervisor supervisor)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (supervisor.GetRuntimeStats().WarmPoolSize < 1)
        {
            Scenarios.Expect(DateTime.UtcNow < deadline, "the warm pool did not start a worker within 60 s");
            await Task.Delay(10);
        }
    }

    /// <summary>Loads the module once with the variant's options, so that its module cache folder holds the artifact.</summary>
    private static async Task SeedAsync(LifecycleVariant variant, byte[] wasm, PluginManifest manifest)
    {
        var options = new PluginSupervisorOptions();
        variant.Configure(options);
        await using var supervisor = new PluginSupervisor(options);
        await supervisor.LoadAsync(Scenarios.PluginId, wasm, manifest);
        await AddAsync(supervisor);
        var stats = supervisor.GetRuntimeStats();
        Scenarios.Expect(stats.ModuleCacheMisses == 1, $"{variant.Id}: the seeding load compiled {stats.ModuleCacheMisses} modules, not 1");
    }

    /// <summary>One sample: a fresh supervisor (untimed), then <c>LoadAsync</c> and the first <c>add</c> (timed).</summary>
    /// <returns>The load-to-first-result time in milliseconds, and the modules the supervisor compiled.</returns>
    private static async Task<(double Ms, long Compiles)> SampleAsync(LifecycleVariant variant, byte[] wasm, PluginManifest manifest)
    {
        var options = new PluginSupervisorOptions();
        variant.Configure(options);
        await using var supervisor = new PluginSupervisor(options);
        if (variant.BeforeLoadAsync is { } before)
        {
            await before(supervisor);
        }

        var started = Stopwatch.GetTimestamp();
        await supervisor.LoadAsync(Scenarios.PluginId, wasm, manifest);
        await AddAsync(supervisor);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var stats = supervisor.GetRuntimeStats();
        variant.Check(stats);
        return (elapsed, stats.ModuleCacheMisses);
    }

    private static async Task AddAsync(PluginSupervisor supervisor)
    {
        var result = await supervisor.InvokeAsync(Scenarios.PluginId, "add", [PluginValue.I32(1), PluginValue.I32(2)]);
        Scenarios.Expect(result.Values.Count == 1 && result.Values[0].AsI32() == 3, "add(1, 2) did not return 3");
    }

    private static double Median(double[] values) => LifecycleRow.Rank([.. values.Order()], 0.5);
}

/// <summary>One way of starting a plugin, measured by <see cref="Lifecycle"/>.</summary>
/// <param name="Id">A stable identifier, used in the JSON output.</param>
/// <param name="Name">What is measured, as printed.</param>
/// <param name="Configure">Sets the options of each sample's supervisor (and of the seeding one).</param>
/// <param name="SeedCache">Whether one untimed load with the same options runs first, to fill the module cache folder.</param>
/// <param name="BeforeLoadAsync">Runs on each sample's supervisor before the timed region, or <see langword="null"/>.</param>
/// <param name="Check">Checks each sample's runtime statistics after the timed region; throws to fail the run.</param>
internal sealed record LifecycleVariant(
    string Id,
    string Name,
    Action<PluginSupervisorOptions> Configure,
    bool SeedCache,
    Func<PluginSupervisor, Task>? BeforeLoadAsync,
    Action<RuntimeStats> Check);

/// <summary>One lifecycle variant's load-to-first-call times, in milliseconds.</summary>
/// <param name="Id">A stable identifier.</param>
/// <param name="Name">What was measured.</param>
/// <param name="Samples">The samples, one fresh supervisor each.</param>
/// <param name="MedianMs">The median (nearest rank).</param>
/// <param name="P99Ms">The 99th percentile (nearest rank; the slowest sample when there are fewer than 100).</param>
/// <param name="MinMs">The fastest sample.</param>
/// <param name="ModuleCompiles">The modules compiled over all samples (<c>ModuleCacheMisses</c> summed): 0 for a cache hit.</param>
/// <param name="RatioVsCold">The median divided by (L1)'s median.</param>
internal sealed record LifecycleRow(string Id, string Name, int Samples, double MedianMs, double P99Ms, double MinMs, long ModuleCompiles, double RatioVsCold)
{
    public static LifecycleRow From(string id, string name, double[] ms, long compiles, double coldMedianMs)
    {
        double[] sorted = [.. ms.Order()];
        var median = Rank(sorted, 0.5);
        return new LifecycleRow(id, name, sorted.Length, Math.Round(median, 2), Math.Round(Rank(sorted, 0.99), 2), Math.Round(sorted[0], 2), compiles, Math.Round(median / coldMedianMs, 4));
    }

    /// <summary>The nearest-rank quantile of sorted values.</summary>
    public static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}

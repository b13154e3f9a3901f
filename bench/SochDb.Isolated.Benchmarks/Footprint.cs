using System.Diagnostics;
using System.Globalization;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// What a plugin costs while it waits: its worker's resident memory (idle, after a call), the supervisor's own memory
/// per loaded plugin, and the CPU an idle worker burns. Read from <c>/proc</c> (Linux only).
/// </summary>
internal static class Footprint
{
    /// <summary>Plugins loaded to measure the supervisor's memory per plugin.</summary>
    private const int Plugins = 8;

    /// <summary>Measures the footprint.</summary>
    /// <param name="wasm">The bench module.</param>
    /// <param name="manifest">Its manifest.</param>
    /// <param name="idle">How long to watch idle workers' CPU.</param>
    /// <param name="nativeWorker">The Native AOT worker, measured the same way after the default one; <see langword="null"/> to skip it.</param>
    /// <param name="progress">Progress output.</param>
    /// <returns>The rows (empty where <c>/proc</c> is not available); the native worker's ids start with <c>native-</c>.</returns>
    public static async Task<IReadOnlyList<FootprintRow>> RunAsync(byte[] wasm, PluginManifest manifest, TimeSpan idle, string? nativeWorker, Action<string> progress)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        var rows = await MeasureAsync(wasm, manifest, idle, null, progress);
        if (nativeWorker is not null)
        {
            var native = await MeasureAsync(wasm, manifest, idle, nativeWorker, progress);
            rows = [.. rows, .. native.Where(r => r.Id.StartsWith("worker-", StringComparison.Ordinal)).Select(r => r with { Id = "native-" + r.Id, Name = r.Name + " (Native AOT worker)" })];
        }

        return rows;
    }

    private static async Task<IReadOnlyList<FootprintRow>> MeasureAsync(byte[] wasm, PluginManifest manifest, TimeSpan idle, string? workerPath, Action<string> progress)
    {
        progress($"footprint: loading {Plugins} plugins{(workerPath is null ? string.Empty : " (Native AOT worker)")}");
        await using var supervisor = new PluginSupervisor(new PluginSupervisorOptions { MaxSandboxes = Plugins + 1, WorkerPath = workerPath });

        // One load and unload first, so that the supervisor's lazily built parts (store, audit log, serializers,
        // thread pool growth) are in the baseline and only the per-plugin cost is left in the difference.
        await supervisor.LoadAsync("fp-warm", wasm, manifest);
        await supervisor.UnloadAsync("fp-warm");
        var (managedBefore, privateBefore) = SupervisorBytes();
        var ids = Enumerable.Range(0, Plugins).Select(i => $"fp-{i}").ToArray();
        foreach (var id in ids)
        {
            await supervisor.LoadAsync(id, wasm, manifest);
        }

        var (managedAfter, privateAfter) = SupervisorBytes();
        var pids = supervisor.ListPlugins().Select(p => p.WorkerPid ?? throw new InvalidOperationException($"{p.Id} has no worker")).ToArray();

        // Idle: loaded and handshaken, never called. Let start-up work (tiered JIT, GC) settle first.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var idleRss = pids.Select(Rss).ToArray();
        progress($"footprint: watching {pids.Length} idle workers for {idle.TotalSeconds:0.#} s");
        var cpuBefore = pids.Select(CpuTicks).ToArray();
        var watch = Stopwatch.StartNew();
        await Task.Delay(idle);
        var cpuAfter = pids.Select(CpuTicks).ToArray();
        var seconds = watch.Elapsed.TotalSeconds;
        var cpuShare = pids.Select((_, i) => (cpuAfter[i] - cpuBefore[i]) / (double)TicksPerSecond / seconds).ToArray();

        IReadOnlyList<PluginValue> args = [PluginValue.I32(1), PluginValue.I32(2)];
        foreach (var id in ids)
        {
            await supervisor.InvokeAsync(id, "add", args);
            await supervisor.InvokeAsync(id, "echo", [PluginValue.Bytes(new byte[Scenarios.EchoBytes])]);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(200));
        var calledRss = pids.Select(Rss).ToArray();
        return
        [
            new("worker-rss-idle", "worker resident memory, loaded, never called", Median(idleRss) / Mib, Max(idleRss) / Mib, "MiB"),
            new("worker-rss-called", "worker resident memory after add + a 64 KiB echo", Median(calledRss) / Mib, Max(calledRss) / Mib, "MiB"),
            new("supervisor-managed-per-plugin", $"supervisor managed heap per loaded plugin ({Plugins} plugins)", (managedAfter - managedBefore) / (double)Plugins / Mib, null, "MiB"),
            new("supervisor-private-per-plugin", $"supervisor private memory per loaded plugin ({Plugins} plugins; allocator slack included)", (privateAfter - privateBefore) / (double)Plugins / Mib, null, "MiB"),
            new("worker-idle-cpu", $"CPU of an idle worker over {seconds:0.#} s", Median(cpuShare) * 100, cpuShare.Max() * 100, "% of a core"),
        ];
    }

    private const double Mib = 1024 * 1024;

    /// <summary>USER_HZ: the unit of utime/stime in <c>/proc/&lt;pid&gt;/stat</c>, 100 on every Linux platform .NET runs on.</summary>
    private const long TicksPerSecond = 100;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[(sorted.Length - 1) / 2];
    }

    private static double Max(double[] values) => values.Max();

    private static double Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024.0;
            }
        }

        throw new InvalidOperationException($"no VmRSS for {pid}");
    }

    private static long CpuTicks(int pid)
    {
        // utime and stime are fields 14 and 15; the command name (field 2) may hold spaces, so count after its ')'.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static (long Managed, long Private) SupervisorBytes()
    {
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        return (managed, self.PrivateMemorySize64);
    }
}

/// <summary>One footprint figure.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Name">What it is.</param>
/// <param name="Median">The median over the workers (or the figure itself).</param>
/// <param name="Max">The largest worker's figure, or <see langword="null"/> for a single figure.</param>
/// <param name="Unit">The unit.</param>
internal sealed record FootprintRow(string Id, string Name, double Median, double? Max, string Unit);

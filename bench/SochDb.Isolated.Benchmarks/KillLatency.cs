using System.Diagnostics;
using System.Runtime.InteropServices;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// Kill latency: how long after a call's deadline its error reaches the caller, for (k1) a plugin spinning in wasm,
/// stopped by the epoch deadline inside a healthy worker, and (k2) a worker frozen by SIGSTOP mid-call, which only the
/// supervisor's deadline (timeout + grace) and an OS kill can end. Every k2 sample checks the worker is gone.
/// </summary>
internal static class KillLatency
{
    /// <summary>The plugin's timeout: the deadline both scenarios measure from.</summary>
    public const int TimeoutMs = 100;

    /// <summary>The supervisor's grace past the timeout before it kills an unresponsive worker.</summary>
    public const int GraceMs = 100;

    private const string PluginId = "spinner";

    private static readonly string ManifestText = $"""
        [plugin]
        name = "spinner"
        version = "1.0.0"

        [resources]
        timeout_ms = {TimeoutMs}
        fuel_limit = 1_000_000_000_000_000

        [exports]
        functions = ["add", "spin"]
        """;

    /// <summary>Runs both scenarios on one supervisor.</summary>
    public static async Task<IReadOnlyList<KillLatencyRow>> RunAsync(byte[] wasm, int spinSamples, int samples, Action<string> progress)
    {
        var manifest = ManifestParser.Parse(ManifestText).Manifest ?? throw new InvalidOperationException("spinner manifest is invalid");
        await using var supervisor = new PluginSupervisor(new PluginSupervisorOptions
        {
            CallGrace = TimeSpan.FromMilliseconds(GraceMs),
            HeartbeatInterval = TimeSpan.FromMinutes(10),
            RestartPolicy = { InitialBackoff = TimeSpan.Zero, MaxFailures = 1000 },
        });
        await supervisor.LoadAsync(PluginId, wasm, manifest);

        progress($"kill latency: spinning plugin, {spinSamples} samples");
        var spin = new double[spinSamples];
        for (var i = 0; i < spinSamples; i++)
        {
            await ReadyAsync(supervisor);
            var started = Stopwatch.GetTimestamp();
            var kind = await FailureAsync(supervisor.InvokeAsync(PluginId, "spin"));
            Scenarios.Expect(kind == Protocol.ErrorKind.Timeout, $"spin ended with {kind}, not Timeout");
            spin[i] = AfterDeadlineMs(started, TimeoutMs);
        }

        progress($"kill latency: stopped worker, {samples} samples");
        var stopped = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var pid = await ReadyAsync(supervisor);
            var started = Stopwatch.GetTimestamp();
            var call = supervisor.InvokeAsync(PluginId, "spin");

            // Freeze the worker well before its deadline: the epoch ticker stops with it, so only the supervisor's
            // deadline can end the call.
            await Task.Delay(TimeoutMs / 4);
            Scenarios.Expect(Kill(pid, SigStop) == 0, $"SIGSTOP to {pid} failed");
            var kind = await FailureAsync(call);
            Scenarios.Expect(kind == Protocol.ErrorKind.Timeout, $"stopped worker's call ended with {kind}, not Timeout");
            stopped[i] = AfterDeadlineMs(started, TimeoutMs);
            Scenarios.Expect(!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), $"worker {pid} still runs after its call failed");
        }

        return
        [
            KillLatencyRow.From("kill-spin", "(k1) spinning plugin: epoch deadline, worker survives", spin),
            KillLatencyRow.From("kill-stopped", $"(k2) SIGSTOPped worker: supervisor deadline (+{GraceMs} ms grace), OS kill", stopped),
        ];
    }

    private const int SigStop = 19;

    // DllImport rather than LibraryImport: an int-only signature needs no marshalling and no unsafe code.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);

    private static double AfterDeadlineMs(long started, int timeoutMs) => Stopwatch.GetElapsedTime(started).TotalMilliseconds - timeoutMs;

    /// <summary>Waits until the plugin has a live worker (a k2 sample leaves it to be replaced) and returns its pid.</summary>
    private static async Task<int> ReadyAsync(PluginSupervisor supervisor)
    {
        // A cheap call makes the supervisor start the replacement now rather than in the next timed call.
        await supervisor.InvokeAsync(PluginId, "add", [PluginValue.I32(1), PluginValue.I32(1)]);
        return supervisor.ListPlugins().Single().WorkerPid ?? throw new InvalidOperationException("no worker after a successful call");
    }

    private static async Task<Protocol.ErrorKind?> FailureAsync(Task call)
    {
        try
        {
            await call;
            return null;
        }
        catch (PluginException ex)
        {
            return ex.Kind;
        }
    }
}

/// <summary>One kill-latency scenario: how long after the call's deadline its error arrived.</summary>
internal sealed record KillLatencyRow(string Id, string Name, int Samples, int DeadlineMs, double P50AfterDeadlineMs, double P99AfterDeadlineMs, double MaxAfterDeadlineMs)
{
    public static KillLatencyRow From(string id, string name, double[] afterDeadlineMs)
    {
        var sorted = afterDeadlineMs.Order().ToArray();
        double Rank(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new KillLatencyRow(id, name, sorted.Length, KillLatency.TimeoutMs, Math.Round(Rank(0.5), 2), Math.Round(Rank(0.99), 2), Math.Round(sorted[^1], 2));
    }
}

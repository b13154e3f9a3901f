using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.DependencyInjection;

namespace SochDb.Isolated.Sample;

/// <summary>
/// The workload: waits until the hosted service has loaded the plugins from configuration, calls one
/// <see cref="SampleOptions.Calls"/> times, prints stats, and stops the host (which drains and stops the workers).
/// </summary>
internal sealed class PluginWorkload(PluginSupervisor supervisor, IsolatedPluginsReadiness readiness, IOptions<SampleOptions> options, IHostApplicationLifetime lifetime) : BackgroundService
{
    private const string PluginId = "pii-mask";

    private static readonly string[] Inputs = ["alice@example.com", "bob.smith@example.org", "carol@sochdb.dev", "no-at-sign"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"sample: failed: {ex}");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        Console.WriteLine($"sample: worker {DescribeWorker()}");
        await readiness.WhenReady.WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
        Console.WriteLine($"sample: loaded {string.Join(", ", readiness.LoadedPlugins)}");

        var interval = TimeSpan.FromSeconds(Math.Max(0.1, settings.StatsIntervalSeconds));
        var sinceStats = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();
        int ok = 0, failed = 0;
        for (var i = 0; i < settings.Calls; i++)
        {
            var input = Inputs[i % Inputs.Length];
            try
            {
                var result = await supervisor.InvokeAsync(PluginId, "mask_email", [PluginValue.String(input)], cancellationToken);
                ok++;
                if (i < Inputs.Length)
                {
                    Console.WriteLine($"sample: mask_email(\"{input}\") = \"{result.Values[0].AsString()}\" ({result.Receipt.FuelConsumed} fuel, {result.Receipt.RoundTrip.TotalMicroseconds:F0} µs round trip)");
                }
            }
            catch (PluginException ex)
            {
                failed++;
                Console.WriteLine($"sample: call {i} failed: {ex.Kind}: {ex.Message}");
            }

            if (sinceStats.Elapsed >= interval)
            {
                PrintStats();
                sinceStats.Restart();
            }
        }

        Console.WriteLine($"sample: {ok} calls ok, {failed} failed in {total.Elapsed.TotalMilliseconds:F0} ms");
        PrintStats();
        if (failed > 0)
        {
            Environment.ExitCode = 1;
        }

        Console.WriteLine("sample: done");
    }

    private void PrintStats()
    {
        var runtime = supervisor.GetRuntimeStats();
        var plugin = supervisor.GetPluginStats(PluginId);
        Console.WriteLine(
            $"stats: runtime invocations={runtime.TotalInvocations} workers_started={runtime.WorkersStarted} active_sandboxes={runtime.ActiveSandboxes} " +
            $"fuel={runtime.TotalFuelConsumed} crashes={runtime.WorkerCrashes} isolation={runtime.IsolationMode}");
        Console.WriteLine(
            $"stats: {PluginId} calls={plugin.TotalCalls} ok={plugin.SuccessfulCalls} failed={plugin.FailedCalls} fuel={plugin.FuelConsumed} " +
            $"exec_ms={plugin.TotalExecutionTime.TotalMilliseconds:F1} peak_memory={plugin.PeakMemoryBytes}");
    }

    /// <summary>Says where the supervisor's default lookup finds the worker: the package's folder or beside the app.</summary>
    private static string DescribeWorker()
    {
        const string Worker = "SochDb.Isolated.Worker.dll";
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, Worker)))
        {
            return $"beside the app (project reference): {Path.Combine(AppContext.BaseDirectory, Worker)}";
        }

        var packaged = Path.Combine(AppContext.BaseDirectory, "sochdb-worker", Worker);
        return File.Exists(packaged) ? $"from the package: {packaged}" : "not found";
    }
}

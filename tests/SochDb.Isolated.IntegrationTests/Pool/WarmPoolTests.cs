using System.Diagnostics;
using System.Globalization;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;
using Xunit.Abstractions;

namespace SochDb.Isolated.IntegrationTests.Pool;

/// <summary>The warm worker pool against real workers: adoption, refill, limits at adoption, one plugin per worker.</summary>
public sealed class WarmPoolTests(ITestOutputHelper output) : SupervisorTestBase
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    [Fact]
    public async Task Load_WithWarmPool_AdoptsPooledWorker()
    {
        var supervisor = CreateSupervisor(o => o.WarmPoolSize = 1);
        var idle = await WaitForIdleAsync(supervisor, 1);

        var plugin = await supervisor.LoadAsync("p", Basic, Manifest()).DefaultTimeout();

        Assert.Equal(idle[0], plugin.WorkerPid);
        Assert.Equal(1, supervisor.GetRuntimeStats().WarmPoolAdoptions);
        var result = await supervisor.InvokeAsync("p", "add", [PluginValue.I32(2), PluginValue.I32(3)]).DefaultTimeout();
        Assert.Equal(5, result.Values[0].AsI32());

        // The pool refills with a new worker, never the adopted one.
        var refilled = await WaitForIdleAsync(supervisor, 1);
        Assert.DoesNotContain(plugin.WorkerPid!.Value, refilled);
        Assert.Equal(1, supervisor.GetRuntimeStats().WarmPoolSize);
    }

    [Fact]
    public async Task PluginThatRan_NeverReturnsToThePool()
    {
        var supervisor = CreateSupervisor(o => o.WarmPoolSize = 1);
        await WaitForIdleAsync(supervisor, 1);
        var plugin = await supervisor.LoadAsync("p", Basic, Manifest()).DefaultTimeout();
        await supervisor.InvokeAsync("p", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        var pid = plugin.WorkerPid!.Value;
        var refilled = await WaitForIdleAsync(supervisor, 1);

        await supervisor.UnloadAsync("p").DefaultTimeout();

        Assert.False(ProcessState.IsRunning(pid), $"worker {pid} still runs after its plugin was unloaded");
        Assert.Equal(refilled, supervisor.WarmPool.IdlePids);
        Assert.Equal(1, supervisor.GetRuntimeStats().WarmPoolSize);

        // The next load adopts the other idle worker, not the one that ran the first plugin.
        var next = await supervisor.LoadAsync("q", Basic, Manifest()).DefaultTimeout();
        Assert.Equal(refilled[0], next.WorkerPid);
        Assert.Equal(2, supervisor.GetRuntimeStats().WarmPoolAdoptions);
    }

    [Fact]
    public async Task Restart_WithWarmPool_AdoptsAnIdleWorker()
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.WarmPoolSize = 1;
            o.RestartPolicy.InitialBackoff = TimeSpan.FromMilliseconds(20);
        });
        await WaitForIdleAsync(supervisor, 1);
        var first = await supervisor.LoadAsync("victim", Basic, Manifest()).DefaultTimeout();
        var idle = await WaitForIdleAsync(supervisor, 1);

        Process.GetProcessById(first.WorkerPid!.Value).Kill();

        var deadline = DateTime.UtcNow + TestTimeouts.Unexpected;
        PluginInfo info;
        while ((info = supervisor.ListPlugins().Single()) is not { WorkerPid: { } pid, State: PluginState.Ready } || pid == first.WorkerPid)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no replacement worker; last: {info}");
            await Task.Delay(20);
        }

        Assert.Equal(idle[0], info.WorkerPid);
        Assert.Equal(2, supervisor.GetRuntimeStats().WarmPoolAdoptions);
        var result = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(3, result.Values[0].AsI32());
    }

    [Fact]
    public async Task HotReload_WithWarmPool_AdoptsAnIdleWorkerForTheNewGeneration()
    {
        var supervisor = CreateSupervisor(o => o.WarmPoolSize = 1);
        await WaitForIdleAsync(supervisor, 1);
        var first = await supervisor.LoadAsync("p", Basic, Manifest()).DefaultTimeout();
        var idle = await WaitForIdleAsync(supervisor, 1);

        var reloaded = await supervisor.HotReloadAsync("p", Basic, Manifest()).DefaultTimeout();

        Assert.Equal(2, reloaded.Generation);
        Assert.Equal(idle[0], reloaded.WorkerPid);
        Assert.NotEqual(first.WorkerPid, reloaded.WorkerPid);
        Assert.Equal(2, supervisor.GetRuntimeStats().WarmPoolAdoptions);
        var result = await supervisor.InvokeAsync("p", "add", [PluginValue.I32(4), PluginValue.I32(5)]).DefaultTimeout();
        Assert.Equal(9, result.Values[0].AsI32());
    }

    [SkippableFact]
    public async Task PooledWorker_GetsPluginMemoryLimit()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "cgroups are created here only by root on Linux");
        var supervisor = CreateSupervisor(o => o.WarmPoolSize = 1);
        var mode = supervisor.GetRuntimeStats().IsolationMode;
        Skip.IfNot(mode is IsolationMode.CgroupV1 or IsolationMode.CgroupV2, $"no writable cgroup hierarchy (isolation is {mode})");
        var allowance = new IsolationOptions().RuntimeMemoryAllowanceBytes;
        var idle = await WaitForIdleAsync(supervisor, 1);

        // Idle: the limits of a manifest that sets none (16 MiB) plus the runtime allowance.
        Assert.Equal((16L << 20) + allowance, ReadMemoryLimit(idle[0]));

        var plugin = await supervisor.LoadAsync("p", Basic, Manifest(resources: DefaultResources + "\nmax_instances = 2")).DefaultTimeout();

        // Adopted: two instances of 2 MiB each, plus the runtime allowance.
        Assert.Equal(idle[0], plugin.WorkerPid);
        Assert.Equal(2, plugin.MaxInstances);
        Assert.Equal((4L << 20) + allowance, ReadMemoryLimit(plugin.WorkerPid!.Value));
    }

    [Fact]
    public async Task WarmLoad_ComparedWithColdLoad_ReportsTimes()
    {
        var cold = CreateSupervisor();
        var warm = CreateSupervisor(o => o.WarmPoolSize = 2);
        await WaitForIdleAsync(warm, 2);

        // One load each first, so JIT and the module cache are warm on both sides and only the worker start differs.
        await cold.LoadAsync("warmup", Basic, Manifest()).DefaultTimeout();
        await warm.LoadAsync("warmup", Basic, Manifest()).DefaultTimeout();
        await WaitForIdleAsync(warm, 2);

        var (coldTime, coldLoad) = await LoadAndCallAsync(cold);
        var (warmTime, warmLoad) = await LoadAndCallAsync(warm);

        output.WriteLine($"load to first call: cold {coldTime.TotalMilliseconds:F1} ms (load {coldLoad.TotalMilliseconds:F1}), warm pool {warmTime.TotalMilliseconds:F1} ms (load {warmLoad.TotalMilliseconds:F1}) = {warmTime / coldTime:P1} of cold");
        foreach (var entry in Logs.Entries.Where(e => e.EventId.Id == 1161))
        {
            output.WriteLine(entry.Message);
        }

        Assert.Equal(2, warm.GetRuntimeStats().WarmPoolAdoptions);
        Assert.True(warmTime < coldTime, $"warm {warmTime.TotalMilliseconds:F1} ms is not faster than cold {coldTime.TotalMilliseconds:F1} ms");
    }

    private static async Task<(TimeSpan Total, TimeSpan Load)> LoadAndCallAsync(PluginSupervisor supervisor)
    {
        var started = Stopwatch.GetTimestamp();
        await supervisor.LoadAsync("measured", Basic, Manifest()).DefaultTimeout();
        var load = Stopwatch.GetElapsedTime(started);
        await supervisor.InvokeAsync("measured", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        return (Stopwatch.GetElapsedTime(started), load);
    }

    /// <summary>Waits (bounded) until the pool holds <paramref name="count"/> idle workers, and returns their pids.</summary>
    internal static async Task<IReadOnlyList<int>> WaitForIdleAsync(PluginSupervisor supervisor, int count)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Unexpected;
        while (true)
        {
            var pids = supervisor.WarmPool.IdlePids;
            if (pids.Count >= count)
            {
                return pids;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the warm pool did not reach {count} idle workers; it holds {pids.Count}");
            await Task.Delay(20);
        }
    }


    /// <summary>Reads the memory limit of a process's own cgroup (v1 <c>memory.limit_in_bytes</c>, or v2 <c>memory.max</c>).</summary>
    private static long ReadMemoryLimit(int pid)
    {
        foreach (var line in File.ReadAllLines($"/proc/{pid}/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts[1].Split(',').Contains("memory"))
            {
                return long.Parse(File.ReadAllText(Path.Join("/sys/fs/cgroup/" + parts[1], parts[2], "memory.limit_in_bytes")).Trim(), CultureInfo.InvariantCulture);
            }

            if (parts[1].Length == 0 && File.Exists(Path.Join("/sys/fs/cgroup", parts[2], "memory.max")))
            {
                return long.Parse(File.ReadAllText(Path.Join("/sys/fs/cgroup", parts[2], "memory.max")).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"process {pid} is in no memory cgroup");
    }
}

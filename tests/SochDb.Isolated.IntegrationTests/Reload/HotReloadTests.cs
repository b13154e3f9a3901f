using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;
using Xunit.Abstractions;

namespace SochDb.Isolated.IntegrationTests.Reload;

/// <summary>Hot reload under load: atomic switch, drain, health check, probation and rollback with real workers.</summary>
public sealed class HotReloadTests(ITestOutputHelper output) : SupervisorTestBase
{
    private const int Callers = 6;

    /// <summary>A module whose <c>tag(x)</c> returns <c>x * 1000 + tag</c>: every result names the module that computed it.</summary>
    internal static byte[] Tagged(int tag, int health = 0, bool exportHealth = false) => Wasmtime.Module.ConvertText($$"""
        (module
          (memory (export "memory") 1)
          (func (export "tag") (param i32) (result i32)
            local.get 0 i32.const 1000 i32.mul i32.const {{tag}} i32.add)
          {{(exportHealth ? $"(func (export \"soch_health\") (result i32) i32.const {health})" : string.Empty)}})
        """).ToArray();

    [Fact]
    public async Task HotReload_TwentyReloadsUnderLoad_LoseNoCallAndEachResultComesFromOneGeneration()
    {
        // Warm workers, as a production host that reloads often would have: each reload adopts a handshaken,
        // prewarmed worker instead of starting one cold (about a second of CPU each, against the callers).
        var supervisor = CreateSupervisor(o =>
        {
            o.ReloadProbation = TimeSpan.FromMilliseconds(200);
            o.WarmPoolSize = 2;
        });
        await supervisor.LoadAsync("p", Tagged(1), Manifest()).DefaultTimeout();
        await using var load = new LoadGenerator(supervisor, "p", Callers);

        // Generation g runs the module tagged g: the tag in the result and the generation in the receipt must agree.
        for (var generation = 2; generation <= 21; generation++)
        {
            var info = await supervisor.HotReloadAsync("p", Tagged(generation), Manifest()).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(generation, info.Generation);
            await load.WaitForCallsAsync(generation, 20);
        }

        var calls = await load.StopAsync();
        output.WriteLine($"{calls.Count} calls over 20 reloads in {load.Elapsed.TotalSeconds:F1} s ({calls.Count / load.Elapsed.TotalSeconds:F0} calls/s)");
        Assert.Empty(load.Failures);
        Assert.All(calls, c => Assert.Equal(c.Generation, c.Tag));
        Assert.Equal(Enumerable.Range(1, 21).Select(g => (long)g), calls.Select(c => c.Generation).Distinct().Order());
        var stats = supervisor.GetPluginStats("p");
        Assert.Equal(20, stats.Reloads);
        Assert.Equal(0, stats.Rollbacks);
        Assert.Equal(0, stats.LifetimeFailedCalls);
        Assert.Equal(calls.Count, stats.LifetimeCalls);
        Assert.Equal(calls.Count, stats.LifetimeSuccessfulCalls);
        Assert.True(stats.LifetimeFuelConsumed > stats.FuelConsumed, "lifetime fuel must include the earlier generations'");
        Assert.Equal(0, stats.LifetimeWorkerCrashes);
        Assert.Equal(20, supervisor.QueryAudit("p", 1000).Count(r => r.Function == "lifecycle.reload"));
    }

    [Fact]
    public async Task HotReload_BadModuleUnderLoad_RefusedWithNoFailedCall()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Tagged(1), Manifest()).DefaultTimeout();
        await using var load = new LoadGenerator(supervisor, "p", Callers);
        await load.WaitForCallsAsync(1, 20);

        var ex = await Assert.ThrowsAsync<ReloadFailedException>(() => supervisor.HotReloadAsync("p", "\0asm garbage"u8.ToArray(), Manifest())).DefaultTimeout();

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        await AssertStillServingGenerationOneAsync(supervisor, load, ex);
    }

    [Fact]
    public async Task HotReload_InitFailsUnderLoad_RefusedWithNoFailedCall()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Tagged(1), Manifest()).DefaultTimeout();
        await using var load = new LoadGenerator(supervisor, "p", Callers);
        await load.WaitForCallsAsync(1, 20);

        var ex = await Assert.ThrowsAsync<ReloadFailedException>(() => supervisor.HotReloadAsync("p", Fixtures.Wasm("init_fails"), Manifest())).DefaultTimeout();

        Assert.Equal(ErrorKind.Trap, ex.Kind);
        Assert.Contains("soch_init returned", ex.Message, StringComparison.Ordinal);
        await AssertStillServingGenerationOneAsync(supervisor, load, ex);
    }

    [Fact]
    public async Task HotReload_HealthCheckFails_RefusedWithNoFailedCall()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Tagged(1), Manifest()).DefaultTimeout();
        await using var load = new LoadGenerator(supervisor, "p", Callers);
        await load.WaitForCallsAsync(1, 20);

        var ex = await Assert.ThrowsAsync<ReloadFailedException>(() => supervisor.HotReloadAsync("p", Tagged(2, health: 7, exportHealth: true), Manifest())).DefaultTimeout();

        Assert.Contains("soch_health returned 7", ex.Message, StringComparison.Ordinal);
        await AssertStillServingGenerationOneAsync(supervisor, load, ex);

        // A healthy soch_health lets the next reload through, under a new number: refused generations keep theirs.
        var info = await supervisor.HotReloadAsync("p", Tagged(3, health: 0, exportHealth: true), Manifest()).DefaultTimeout();
        Assert.Equal(3, info.Generation);
        Assert.Equal(3003, (await supervisor.InvokeAsync("p", "tag", [PluginValue.I32(3)]).DefaultTimeout()).Values[0].AsI32());
    }

    [Fact]
    public async Task HotReload_DrainsCallsRunningOnOldGeneration()
    {
        // A warm worker makes the switch take milliseconds, well inside the old call's five seconds, even on a busy machine.
        var supervisor = CreateSupervisor(o =>
        {
            o.ReloadProbation = TimeSpan.Zero;
            o.WarmPoolSize = 1;
        });
        await supervisor.LoadAsync("p", Fixtures.Wasm("basic"), Manifest(resources: "memory_limit_mb = 2\ntimeout_ms = 5000\nfuel_limit = 1_000_000_000_000")).DefaultTimeout();
        var first = supervisor.ListPlugins().Single();

        // A call that runs until its deadline is on generation 1 when the switch happens; the reload waits for it.
        var running = supervisor.InvokeAsync("p", "spin");
        Assert.True(await WaitUntilAsync(() => supervisor.GetRuntimeStats().WarmPoolSize == 1), "the pool did not refill");
        var reload = supervisor.HotReloadAsync("p", Tagged(2), Manifest());
        var after = await WaitUntilAsync(() => supervisor.ListPlugins().Single().Generation == 2);
        Assert.True(after, "the switch did not happen while the old call ran");
        Assert.False(reload.IsCompleted, "the reload returned before the old generation drained");
        Assert.Equal(2002, (await supervisor.InvokeAsync("p", "tag", [PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI32());

        // It ends as spinning calls end (out of fuel or time), on generation 1's worker: not killed by the switch.
        var ended = await Assert.ThrowsAnyAsync<PluginException>(() => running).DefaultTimeout();
        Assert.True(ended.Kind is ErrorKind.FuelExhausted or ErrorKind.Timeout, ended.Message);
        var info = await reload.DefaultTimeout();
        Assert.Null(info.PreviousGeneration);
        await AssertProcessGoneAsync(first.WorkerPid!.Value);
    }

    private static async Task AssertStillServingGenerationOneAsync(PluginSupervisor supervisor, LoadGenerator load, ReloadFailedException ex)
    {
        Assert.Equal((2, 1), (ex.RejectedGeneration, ex.ServingGeneration));
        var calls = await load.StopAsync();
        Assert.Empty(load.Failures);
        Assert.All(calls, c => Assert.Equal((1L, 1), (c.Generation, c.Tag)));
        var info = supervisor.ListPlugins().Single();
        Assert.Equal(1, info.Generation);
        Assert.Equal(PluginState.Ready, info.State);
        Assert.NotNull(info.LastRollbackReason);
        Assert.Equal(1, supervisor.GetPluginStats("p").Rollbacks);
        Assert.Contains(supervisor.QueryAudit("p"), r => r.Function == "lifecycle.reload" && r.Generation == 2 && r.Decision == Supervisor.Audit.AuditDecision.Failed);
    }

    internal static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    internal static async Task AssertProcessGoneAsync(int pid)
        => Assert.True(await WaitUntilAsync(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal)), $"worker {pid} is still running");
}

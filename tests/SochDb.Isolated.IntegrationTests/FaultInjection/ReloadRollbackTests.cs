using SochDb.Isolated.IntegrationTests.Reload;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.FaultInjection;

/// <summary>A new generation whose worker crashes on its first call is rolled back, and the call runs on the old one.</summary>
public sealed class ReloadRollbackTests : FaultInjectionTestBase
{
    [Fact]
    public async Task HotReload_NewGenerationCrashesOnFirstCall_RolledBackAndNoCallFails()
    {
        // The old generation's worker starts unarmed (real worker code); arming makes the next worker crash on invoke.
        var supervisor = CreateSupervisor(o =>
        {
            o.WorkerPath = RoguePath;
            o.WorkerEnvironment["SOCHDB_ROGUE_MODE"] = "crash-on-invoke:3";
            o.WorkerEnvironment["SOCHDB_ROGUE_ARM_FILE"] = ArmFile;
            o.ReloadProbation = TimeSpan.FromSeconds(30);
        });
        await supervisor.LoadAsync("p", HotReloadTests.Tagged(1), Manifest(Grants)).DefaultTimeout();
        await using var load = new LoadGenerator(supervisor, "p", 4);
        await load.WaitForCallsAsync(1, 20);
        await File.WriteAllTextAsync(ArmFile, "armed");

        var reloaded = await supervisor.HotReloadAsync("p", HotReloadTests.Tagged(2), Manifest(Grants)).DefaultTimeout();
        Assert.Equal(2, reloaded.Generation);
        var newPid = reloaded.WorkerPid!.Value;

        var back = await HotReloadTests.WaitUntilAsync(() => supervisor.ListPlugins().Single().Generation == 1);
        Assert.True(back, "the crashing generation was not rolled back");
        await load.WaitForCallsAsync(1, 40);
        var calls = await load.StopAsync();

        Assert.Empty(load.Failures);
        Assert.All(calls, c => Assert.Equal((1L, 1), (c.Generation, c.Tag)));
        var info = supervisor.ListPlugins().Single();
        Assert.Equal(PluginState.Ready, info.State);
        Assert.Contains("generation 2 rolled back", info.LastRollbackReason, StringComparison.Ordinal);
        var stats = supervisor.GetPluginStats("p");
        Assert.Equal(1, stats.Rollbacks);
        Assert.Equal(0, stats.WorkerCrashes);

        // The crash belongs to generation 2; once it is folded into the lifetime totals they show it.
        Assert.True(await HotReloadTests.WaitUntilAsync(() => supervisor.GetPluginStats("p").LifetimeWorkerCrashes == 1), "the rolled-back generation's crash is missing from the lifetime totals");
        Assert.Contains(supervisor.QueryAudit("p", 1000), r => r.Function == "lifecycle.rollback" && r.Generation == 2);
        await AssertGoneAsync(newPid);
    }
}

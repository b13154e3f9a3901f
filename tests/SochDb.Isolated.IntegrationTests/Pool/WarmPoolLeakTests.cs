using SochDb.Isolated.IntegrationTests.Scale;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Pool;

/// <summary>
/// A supervisor with a warm pool leaves no process and no group behind; counted alone, like the other leak tests.
/// Socket files are not compared: they live in the machine-wide temp folder, where other test runs create them too.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class WarmPoolLeakTests : SupervisorTestBase
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    [Fact]
    public async Task Dispose_WithWarmPool_LeavesNoWorker()
    {
        var before = ResourceCensus.Take();
        var supervisor = CreateSupervisor(o => o.WarmPoolSize = 2);
        await WarmPoolTests.WaitForIdleAsync(supervisor, 2);
        await supervisor.LoadAsync("p", Basic, Manifest()).DefaultTimeout();

        // One adopted worker, two idle ones (the refill brings the pool back to its size).
        await WarmPoolTests.WaitForIdleAsync(supervisor, 2);
        Assert.Equal(before.Children + 3, ResourceCensus.Take().Children);

        await supervisor.DisposeAsync().AsTask().DefaultTimeout();

        var after = await SettleAsync(before);
        Assert.Equal(before.Children, after.Children);
        Assert.Equal(0, after.WorkerGroups);
    }

    [Fact]
    public async Task Dispose_RightAfterConstruction_LeavesNoStartingWorker()
    {
        var before = ResourceCensus.Take();

        for (var i = 0; i < 5; i++)
        {
            // Disposed while the pool's first worker is starting: the start is cancelled and its worker killed.
            var supervisor = CreateSupervisor(o => o.WarmPoolSize = 4);
            await Task.Delay(i * 50);
            await supervisor.DisposeAsync().AsTask().DefaultTimeout();
        }

        var after = await SettleAsync(before);
        Assert.Equal(before.Children, after.Children);
        Assert.Equal(0, after.WorkerGroups);
    }

    /// <summary>Reaping and group removal finish just after the dispose returns; give them a bounded moment.</summary>
    private static async Task<ResourceCensus> SettleAsync(ResourceCensus before)
    {
        var census = ResourceCensus.Take();
        for (var i = 0; i < 50 && (census.Children > before.Children || census.WorkerGroups > 0); i++)
        {
            await Task.Delay(100);
            census = ResourceCensus.Take();
        }

        return census;
    }
}

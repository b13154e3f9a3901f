using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>The on-disk module cache across supervisor restarts, with real workers running the cached artifacts.</summary>
public sealed class ModuleCacheTests : SupervisorTestBase, IDisposable
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "sochdb-module-cache-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task LoadAsync_AfterSupervisorRestart_IsDiskHitAndPluginWorks()
    {
        var first = CreateSupervisor(o => o.DataDirectory = dataDirectory);
        await first.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        Assert.Equal(42, Assert.Single((await first.InvokeAsync("test", "add", [PluginValue.I32(40), PluginValue.I32(2)]).DefaultTimeout()).Values).AsI32());
        var before = first.GetRuntimeStats();
        Assert.Equal((0, 1, 0), (before.ModuleCacheHits, before.ModuleCacheMisses, before.ModuleCacheDiskHits));
        Assert.Single(Directory.GetFiles(Path.Combine(dataDirectory, "module-cache"), "*.cwasm"));
        await first.DisposeAsync();

        var second = CreateSupervisor(o => o.DataDirectory = dataDirectory);
        await second.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var result = await second.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout();

        Assert.Equal(3, Assert.Single(result.Values).AsI32());
        var after = second.GetRuntimeStats();
        Assert.Equal((1, 0, 1), (after.ModuleCacheHits, after.ModuleCacheMisses, after.ModuleCacheDiskHits));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1146);

        // A reload of the same module in the same supervisor finds it in memory.
        await second.HotReloadAsync("test", Basic, Manifest()).DefaultTimeout();
        var reloaded = second.GetRuntimeStats();
        Assert.Equal((2, 0, 1), (reloaded.ModuleCacheHits, reloaded.ModuleCacheMisses, reloaded.ModuleCacheDiskHits));
    }

    [Fact]
    public async Task LoadAsync_CorruptArtifactOnDisk_RecompilesAndPluginWorks()
    {
        var first = CreateSupervisor(o => o.DataDirectory = dataDirectory);
        await first.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        await first.DisposeAsync();
        var file = Assert.Single(Directory.GetFiles(Path.Combine(dataDirectory, "module-cache"), "*.cwasm"));
        var bytes = File.ReadAllBytes(file);
        bytes[^100] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        var second = CreateSupervisor(o => o.DataDirectory = dataDirectory);
        await second.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var result = await second.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout();

        Assert.Equal(3, Assert.Single(result.Values).AsI32());
        var stats = second.GetRuntimeStats();
        Assert.Equal((0, 1, 0), (stats.ModuleCacheHits, stats.ModuleCacheMisses, stats.ModuleCacheDiskHits));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1142);
        Assert.NotEqual(bytes, File.ReadAllBytes(file));
    }
}

using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Store;

public sealed class IndexEntryTests
{
    [Fact]
    public async Task PutIndexEntry_AddRemoveAndLookup_AreExactAndIdempotent()
    {
        await using var store = await SqliteHostContext.OpenInMemoryAsync(CancellationToken.None).DefaultTimeout();
        Assert.True(await store.PutIndexEntryAsync("idx", "k"u8.ToArray(), 2, remove: false, CancellationToken.None));
        Assert.False(await store.PutIndexEntryAsync("idx", "k"u8.ToArray(), 2, remove: false, CancellationToken.None));
        Assert.True(await store.PutIndexEntryAsync("idx", "k"u8.ToArray(), 1, remove: false, CancellationToken.None));
        Assert.True(await store.PutIndexEntryAsync("idx", "K"u8.ToArray(), 5, remove: false, CancellationToken.None));
        Assert.Equal([1L, 2L], await store.LookupIndexAsync("idx", "k"u8.ToArray(), 10, CancellationToken.None));
        Assert.Equal([1L], await store.LookupIndexAsync("idx", "k"u8.ToArray(), 1, CancellationToken.None));
        Assert.Empty(await store.LookupIndexAsync("other", "k"u8.ToArray(), 10, CancellationToken.None));
        Assert.True(await store.PutIndexEntryAsync("idx", "k"u8.ToArray(), 1, remove: true, CancellationToken.None));
        Assert.False(await store.PutIndexEntryAsync("idx", "k"u8.ToArray(), 1, remove: true, CancellationToken.None));
        Assert.Equal([2L], await store.LookupIndexAsync("idx", "k"u8.ToArray(), 10, CancellationToken.None));
    }
}

using Microsoft.Data.Sqlite;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Store;

public sealed class SqliteHostContextTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task ReadAsync_Missing_ReturnsNull(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);

        Assert.Null(await t.Store.ReadAsync("nothing", 1, None).DefaultTimeout());
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task WriteAsync_InsertThenUpdate_ReturnsFalseThenTrue(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        IHostContext store = t.Store;

        Assert.False(await store.WriteAsync("users", 7, new byte[] { 1, 2, 3 }, None).DefaultTimeout());
        Assert.Equal([1, 2, 3], await store.ReadAsync("users", 7, None).DefaultTimeout());

        Assert.True(await store.WriteAsync("users", 7, new byte[] { 9 }, None).DefaultTimeout());
        Assert.Equal([9], await store.ReadAsync("users", 7, None).DefaultTimeout());

        // Same id, other table: a separate row.
        Assert.False(await store.WriteAsync("orders", 7, new byte[] { 4 }, None).DefaultTimeout());
        Assert.Equal([9], await store.ReadAsync("users", 7, None).DefaultTimeout());
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task DeleteAsync_Existing_ReturnsTrueThenFalse(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        await t.Store.WriteAsync("t", 1, new byte[] { 1 }, None).DefaultTimeout();
        await t.Store.WriteAsync("t", 2, new byte[] { 2 }, None).DefaultTimeout();

        Assert.True(await t.Store.DeleteAsync("t", 1, None).DefaultTimeout());
        Assert.False(await t.Store.DeleteAsync("t", 1, None).DefaultTimeout());
        Assert.False(await t.Store.DeleteAsync("other", 2, None).DefaultTimeout());

        Assert.Null(await t.Store.ReadAsync("t", 1, None).DefaultTimeout());
        Assert.Equal([2], await t.Store.ReadAsync("t", 2, None).DefaultTimeout());
        Assert.False(await t.Store.WriteAsync("t", 1, new byte[] { 3 }, None).DefaultTimeout());
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task WriteAsync_EmptyAndSlicedData_StoresExactBytes(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        var buffer = new byte[] { 10, 11, 12, 13, 14 };

        await t.Store.WriteAsync("t", 1, ReadOnlyMemory<byte>.Empty, None).DefaultTimeout();
        await t.Store.WriteAsync("t", 2, buffer.AsMemory(1, 3), None).DefaultTimeout();
        var large = new byte[1 << 20];
        new Random(1).NextBytes(large);
        await t.Store.WriteAsync("t", 3, large, None).DefaultTimeout();

        var empty = await t.Store.ReadAsync("t", 1, None).DefaultTimeout();
        Assert.NotNull(empty);
        Assert.Empty(empty);
        Assert.Equal([11, 12, 13], await t.Store.ReadAsync("t", 2, None).DefaultTimeout());
        Assert.Equal(large, await t.Store.ReadAsync("t", 3, None).DefaultTimeout());
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task ScanAsync_ReturnsRowsFromStartAscendingUpToLimit(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        foreach (var id in new long[] { 5, -3, 10, 7, 100, long.MaxValue, long.MinValue })
        {
            await t.Store.WriteAsync("t", id, BitConverter.GetBytes(id), None).DefaultTimeout();
        }

        await t.Store.WriteAsync("u", 6, new byte[] { 6 }, None).DefaultTimeout();

        await AssertScan(t.Store, "t", 0, 100, 5, 7, 10, 100, long.MaxValue);
        await AssertScan(t.Store, "t", 5, 3, 5, 7, 10);
        await AssertScan(t.Store, "t", 8, 2, 10, 100);
        await AssertScan(t.Store, "t", long.MinValue, 2, long.MinValue, -3);
        await AssertScan(t.Store, "t", 101, 10, long.MaxValue);
        await AssertScan(t.Store, "t", 5, 0);
        await AssertScan(t.Store, "t", 5, -1);
        await AssertScan(t.Store, "missing", long.MinValue, 10);
        await AssertScan(t.Store, "u", long.MinValue, 10, 6);

        var rows = await t.Store.ScanAsync("t", 7, 2, None).DefaultTimeout();
        Assert.Equal(BitConverter.GetBytes(7L), rows[0].Data);
        Assert.Equal(BitConverter.GetBytes(10L), rows[1].Data);
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task HostileNames_AreStoredAsPlainKeys(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        string[] names =
        [
            "x'; DROP TABLE rows; --",
            "\"; DELETE FROM vectors; --",
            "rows",
            "vector_indexes",
            "semi;colon",
            "quote'quote\"quote`bracket]",
            "ユニコード 表 🚀",
            "Case",
            "case",
            "",
            "nul\0inside",
            "nul",
            "%_*?",
        ];

        for (var i = 0; i < names.Length; i++)
        {
            Assert.False(await t.Store.WriteAsync(names[i], 1, new byte[] { (byte)i }, None).DefaultTimeout());
            await t.Store.PutVectorAsync(names[i], 1, new[] { 1f, i }, VectorMetric.L2, None).DefaultTimeout();
        }

        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(new[] { (byte)i }, await t.Store.ReadAsync(names[i], 1, None).DefaultTimeout());
            var hit = Assert.Single(await t.Store.SearchAsync(names[i], new[] { 1f, i }, 5, None).DefaultTimeout());
            Assert.Equal(0f, hit.Distance);
        }

        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(sorted, await t.Store.ListTablesAsync(None).DefaultTimeout());
        Assert.Equal(sorted, await t.Store.ListVectorIndexesAsync(None).DefaultTimeout());
        Assert.Empty(await t.Store.ScanAsync("x' OR '1'='1", long.MinValue, 100, None).DefaultTimeout());
    }

    [Fact]
    public async Task OpenAsync_Reopen_KeepsRowsAndVectors()
    {
        using var folder = new TempDirectory();
        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            await store.WriteAsync("t", 1, new byte[] { 1, 2 }, None).DefaultTimeout();
            await store.WriteAsync("t", 2, new byte[] { 3 }, None).DefaultTimeout();
            await store.WriteAsync("t", 2, new byte[] { 4 }, None).DefaultTimeout();
            await store.WriteAsync("t", 3, new byte[] { 5 }, None).DefaultTimeout();
            await store.DeleteAsync("t", 3, None).DefaultTimeout();
            await store.PutVectorAsync("v", 10, new[] { 0f, 1f }, VectorMetric.Cosine, None).DefaultTimeout();
            await store.PutVectorAsync("v", 11, new[] { 1f, 0f }, VectorMetric.Cosine, None).DefaultTimeout();
        }

        Assert.True(File.Exists(Path.Combine(folder.Path, SqliteHostContext.DatabaseFileName)));
        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            Assert.Equal(Path.Combine(folder.Path, SqliteHostContext.DatabaseFileName), store.DatabasePath);
            Assert.Equal([1, 2], await store.ReadAsync("t", 1, None).DefaultTimeout());
            Assert.Equal([4], await store.ReadAsync("t", 2, None).DefaultTimeout());
            Assert.Null(await store.ReadAsync("t", 3, None).DefaultTimeout());
            Assert.True(await store.WriteAsync("t", 1, new byte[] { 9 }, None).DefaultTimeout());

            // The index kept its metric (cosine: scale does not matter) and its dimensions.
            var hits = await store.SearchAsync("v", new[] { 5f, 0.1f }, 2, None).DefaultTimeout();
            Assert.Equal([11L, 10L], hits.Select(h => h.RowId));
            Assert.InRange(hits[0].Distance, 0f, 0.01f);
            await Assert.ThrowsAsync<ArgumentException>(() => store.PutVectorAsync("v", 12, new[] { 1f, 2f, 3f }, VectorMetric.Cosine, None).AsTask());
        }
    }

    [Fact]
    public async Task OpenAsync_MissingNestedFolder_IsCreated()
    {
        using var folder = new TempDirectory();
        var nested = Path.Combine(folder.Path, "a", "b");

        await using var store = await SqliteHostContext.OpenAsync(nested, None).DefaultTimeout();

        Assert.True(File.Exists(Path.Combine(nested, SqliteHostContext.DatabaseFileName)));
    }

    [Fact]
    public async Task OpenAsync_File_UsesWriteAheadLog()
    {
        using var folder = new TempDirectory();
        await using var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout();
        await store.WriteAsync("t", 1, new byte[] { 1 }, None).DefaultTimeout();

        Assert.True(File.Exists(store.DatabasePath + "-wal"));
        var builder = new SqliteConnectionStringBuilder { DataSource = store.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await command.ExecuteScalarAsync() as string);

        // A reader on another connection sees the committed row while the store stays open.
        command.CommandText = "SELECT count(*) FROM rows";
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task OpenAsync_DirectoryAlreadyOpen_Throws()
    {
        using var folder = new TempDirectory();
        await using (var first = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            await Assert.ThrowsAsync<IOException>(() => SqliteHostContext.OpenAsync(folder.Path, None)).DefaultTimeout();
            await first.WriteAsync("t", 1, new byte[] { 1 }, None).DefaultTimeout();
        }

        await using var second = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout();
        Assert.Equal([1], await second.ReadAsync("t", 1, None).DefaultTimeout());
    }

    [Fact]
    public async Task OpenInMemoryAsync_InstancesAreSeparate()
    {
        await using var a = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();
        await using var b = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();

        await a.WriteAsync("t", 1, new byte[] { 1 }, None).DefaultTimeout();

        Assert.Null(a.DatabasePath);
        Assert.Null(await b.ReadAsync("t", 1, None).DefaultTimeout());
        Assert.Equal([1], await a.ReadAsync("t", 1, None).DefaultTimeout());
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task EveryOperation_CancelledToken_ThrowsAndChangesNothing(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        var store = t.Store;
        await store.WriteAsync("t", 1, new byte[] { 1 }, None).DefaultTimeout();
        await store.PutVectorAsync("v", 1, new[] { 1f, 2f }, VectorMetric.L2, None).DefaultTimeout();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var c = cts.Token;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ReadAsync("t", 1, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync("t", 1, new byte[] { 2 }, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync("t", 2, new byte[] { 2 }, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.DeleteAsync("t", 1, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ScanAsync("t", 0, 10, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutVectorAsync("v", 2, new[] { 3f, 4f }, VectorMetric.L2, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutVectorAsync("w", 1, new[] { 3f, 4f }, VectorMetric.L2, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.SearchAsync("v", new[] { 1f, 2f }, 1, c).AsTask()).DefaultTimeout();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ListTablesAsync(c)).DefaultTimeout();

        Assert.Equal([1], await store.ReadAsync("t", 1, None).DefaultTimeout());
        Assert.Null(await store.ReadAsync("t", 2, None).DefaultTimeout());
        Assert.Equal([1L], (await store.SearchAsync("v", new[] { 3f, 4f }, 10, None).DefaultTimeout()).Select(h => h.RowId));
        Assert.Equal(["v"], await store.ListVectorIndexesAsync(None).DefaultTimeout());
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task CallsWaitingForTheWriteGate_HonourCancellation(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        var store = t.Store;
        using var cts = new CancellationTokenSource();

        Task<bool> cancelledWrite, laterWrite;
        Task<byte[]?> read;
        using (await store.HoldWriteGateAsync(None).DefaultTimeout())
        {
            cancelledWrite = store.WriteAsync("t", 1, new byte[] { 1 }, cts.Token).AsTask();
            laterWrite = store.WriteAsync("t", 2, new byte[] { 2 }, None).AsTask();
            read = store.ReadAsync("t", 2, cts.Token).AsTask();
            Assert.False(cancelledWrite.IsCompleted);
            Assert.False(laterWrite.IsCompleted);

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledWrite).DefaultTimeout();
            if (kind == StoreKind.Memory)
            {
                // One connection: reads queue behind the gate too.
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read).DefaultTimeout();
            }
            else
            {
                // WAL: reads need no gate and finish while a write is in progress.
                Assert.Null(await read.DefaultTimeout());
            }

            Assert.False(laterWrite.IsCompleted);
        }

        Assert.False(await laterWrite.DefaultTimeout());
        Assert.Null(await store.ReadAsync("t", 1, None).DefaultTimeout());
        Assert.Equal([2], await store.ReadAsync("t", 2, None).DefaultTimeout());
    }

    [Fact]
    public async Task DisposeAsync_ThenCalls_ThrowObjectDisposed()
    {
        var store = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();
        await store.DisposeAsync().DefaultTimeout();
        await store.DisposeAsync().DefaultTimeout();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.ReadAsync("t", 1, None).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.WriteAsync("t", 1, new byte[] { 1 }, None).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.SearchAsync("v", new[] { 1f }, 1, None).AsTask()).DefaultTimeout();
    }

    [Theory]
    [InlineData(StoreKind.File)]
    [InlineData(StoreKind.Memory)]
    public async Task ConcurrentWritersAndReaders_AllSucceedAndAgree(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        var store = t.Store;
        const int Workers = 16;
        const int RowsEach = 100;

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var table = "t" + (w % 4);
            for (var i = 0; i < RowsEach; i++)
            {
                long id = (w * RowsEach) + i;
                var data = BitConverter.GetBytes(id);
                Assert.False(await store.WriteAsync(table, id, data, None));
                Assert.Equal(data, await store.ReadAsync(table, id, None));
                Assert.True(await store.WriteAsync(table, id, data, None));
                var scanned = await store.ScanAsync(table, id, 1, None);
                Assert.Equal(id, Assert.Single(scanned).RowId);
                if (i % 3 == 0)
                {
                    Assert.True(await store.DeleteAsync(table, id, None));
                }

                await store.PutVectorAsync("shared", id, new[] { (float)id, 1f }, VectorMetric.L2, None);
                var hit = (await store.SearchAsync("shared", new[] { (float)id, 1f }, 1, None))[0];
                Assert.Equal(id, hit.RowId);
            }
        })).ToArray();
        await Task.WhenAll(workers).DefaultTimeout();

        var total = 0;
        for (var table = 0; table < 4; table++)
        {
            var rows = await store.ScanAsync("t" + table, long.MinValue, int.MaxValue, None).DefaultTimeout();
            Assert.All(rows, r => Assert.NotEqual(0, r.RowId % RowsEach % 3));
            Assert.Equal(rows.Select(r => r.RowId).Order(), rows.Select(r => r.RowId));
            total += rows.Count;
        }

        Assert.Equal(Workers * (RowsEach - ((RowsEach + 2) / 3)), total);
        var all = await store.SearchAsync("shared", new[] { 0f, 1f }, int.MaxValue, None).DefaultTimeout();
        Assert.Equal(Workers * RowsEach, all.Count);
        Assert.Equal(Enumerable.Range(0, Workers * RowsEach).Select(i => (long)i), all.Select(h => h.RowId));
    }

    private static async Task AssertScan(SqliteHostContext store, string table, long start, int limit, params long[] expected)
    {
        var rows = await store.ScanAsync(table, start, limit, None).DefaultTimeout();
        Assert.Equal(expected, rows.Select(r => r.RowId).ToArray());
    }
}

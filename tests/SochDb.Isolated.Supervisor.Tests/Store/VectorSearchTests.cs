using System.Diagnostics;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;
using Xunit.Abstractions;

namespace SochDb.Isolated.Supervisor.Tests.Store;

public sealed class VectorSearchTests(ITestOutputHelper output)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(VectorMetric.Cosine, StoreKind.Memory)]
    [InlineData(VectorMetric.L2, StoreKind.Memory)]
    [InlineData(VectorMetric.Cosine, StoreKind.File)]
    [InlineData(VectorMetric.L2, StoreKind.File)]
    public async Task SearchAsync_RandomData_MatchesBruteForceReference(VectorMetric metric, StoreKind kind)
    {
        const int Count = 2_000;
        const int Dims = 64;
        const int Queries = 20;
        var random = new Random(20_240_601 + (int)metric);
        var vectors = Enumerable.Range(0, Count).Select(_ => RandomVector(random, Dims)).ToArray();

        // Exact duplicates (and, for cosine, a scaled copy) make true ties that must come back by ascending row id.
        vectors[1_500] = vectors[42];
        vectors[1_501] = vectors[42];
        vectors[1_502] = metric == VectorMetric.Cosine ? [.. vectors[42].Select(x => x * 3f)] : vectors[42];
        vectors[1_999] = new float[Dims];

        // Row ids are not dense and not in insertion order.
        var rowIds = Enumerable.Range(0, Count).Select(i => ((long)(Count - i) * 7919) - 1_000_000).ToArray();
        await using var t = await TestStore.OpenAsync(kind);
        var store = t.Store;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            await store.PutVectorAsync("idx", rowIds[i], vectors[i], metric, None).DefaultTimeout();
        }

        var putTime = stopwatch.Elapsed;
        var queries = Enumerable.Range(0, Queries).Select(_ => RandomVector(random, Dims)).ToList();
        queries.Add(vectors[42]);
        queries.Add(new float[Dims]);

        foreach (var k in new[] { 1, 10, 100 })
        {
            // Time the searches alone (the first one loads the index if a put did not), then check them.
            stopwatch.Restart();
            var results = new List<IReadOnlyList<VectorHit>>();
            foreach (var query in queries)
            {
                results.Add(await store.SearchAsync("idx", query, k, None).DefaultTimeout());
            }

            output.WriteLine($"{metric}/{kind}: {queries.Count} searches, top-{k} of {Count}x{Dims}: {stopwatch.Elapsed.TotalMilliseconds:F2} ms");
            for (var q = 0; q < queries.Count; q++)
            {
                AssertMatchesReference(metric, vectors, rowIds, queries[q], k, results[q]);
            }
        }

        // topK past the end returns everything, in full order.
        var everything = await store.SearchAsync("idx", queries[0], Count * 2, None).DefaultTimeout();
        AssertMatchesReference(metric, vectors, rowIds, queries[0], Count, everything);
        output.WriteLine($"{metric}/{kind}: {Count} puts: {putTime.TotalMilliseconds:F0} ms");
    }

    [Theory]
    [InlineData(StoreKind.Memory)]
    [InlineData(StoreKind.File)]
    public async Task SearchAsync_ExactTies_OrderedByRowId(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        foreach (var id in new long[] { 9, -4, 3, 100 })
        {
            await t.Store.PutVectorAsync("l2", id, new[] { 1f, 1f }, VectorMetric.L2, None).DefaultTimeout();
        }

        await t.Store.PutVectorAsync("l2", 50, new[] { 1f, 1.5f }, VectorMetric.L2, None).DefaultTimeout();

        var hits = await t.Store.SearchAsync("l2", new[] { 1f, 0f }, 3, None).DefaultTimeout();
        Assert.Equal([-4L, 3, 9], hits.Select(h => h.RowId));
        Assert.All(hits, h => Assert.Equal(1f, h.Distance));
        hits = await t.Store.SearchAsync("l2", new[] { 1f, 0f }, 10, None).DefaultTimeout();
        Assert.Equal([-4L, 3, 9, 100, 50], hits.Select(h => h.RowId));
        Assert.Equal(1.5f, hits[4].Distance);
    }

    [Fact]
    public async Task SearchAsync_Cosine_DistancesFollowTheContract()
    {
        await using var store = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();
        await store.PutVectorAsync("c", 1, new[] { 2f, 0f }, VectorMetric.Cosine, None).DefaultTimeout();
        await store.PutVectorAsync("c", 2, new[] { 0f, 5f }, VectorMetric.Cosine, None).DefaultTimeout();
        await store.PutVectorAsync("c", 3, new[] { -1f, 0f }, VectorMetric.Cosine, None).DefaultTimeout();
        await store.PutVectorAsync("c", 4, new[] { 0f, 0f }, VectorMetric.Cosine, None).DefaultTimeout();
        await store.PutVectorAsync("c", 5, new[] { 3e38f, 3e38f }, VectorMetric.Cosine, None).DefaultTimeout();
        await store.PutVectorAsync("c", 6, new[] { 1e-44f, 0f }, VectorMetric.Cosine, None).DefaultTimeout();

        var hits = (await store.SearchAsync("c", new[] { 7f, 0f }, 10, None).DefaultTimeout()).ToDictionary(h => h.RowId, h => h.Distance);

        Assert.Equal(0f, hits[1], 1e-6f);
        Assert.Equal(1f, hits[2], 1e-6f);
        Assert.Equal(2f, hits[3], 1e-6f);
        Assert.Equal(1f, hits[4]); // a zero vector has no direction: distance exactly 1
        Assert.Equal(1 - Math.Sqrt(0.5), hits[5], 1e-6); // no overflow for huge elements
        Assert.Equal(0f, hits[6], 1e-6f); // no underflow for subnormal ones

        // A zero query is at distance 1 from everything; ties then go by row id.
        var zero = await store.SearchAsync("c", new[] { 0f, 0f }, 3, None).DefaultTimeout();
        Assert.Equal([1L, 2, 3], zero.Select(h => h.RowId));
        Assert.All(zero, h => Assert.Equal(1f, h.Distance));
    }

    [Theory]
    [InlineData(StoreKind.Memory)]
    [InlineData(StoreKind.File)]
    public async Task PutVectorAsync_SameRowAgain_ReplacesTheVector(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        await t.Store.PutVectorAsync("v", 1, new[] { 0f, 0f }, VectorMetric.L2, None).DefaultTimeout();
        await t.Store.PutVectorAsync("v", 2, new[] { 5f, 5f }, VectorMetric.L2, None).DefaultTimeout();
        Assert.Equal(1L, (await t.Store.SearchAsync("v", new[] { 0f, 0f }, 1, None).DefaultTimeout())[0].RowId);

        // The metric argument is ignored once the index exists.
        await t.Store.PutVectorAsync("v", 1, new[] { 10f, 10f }, VectorMetric.Cosine, None).DefaultTimeout();

        var hits = await t.Store.SearchAsync("v", new[] { 0f, 0f }, 5, None).DefaultTimeout();
        Assert.Equal([2L, 1L], hits.Select(h => h.RowId));
        Assert.Equal(MathF.Sqrt(200f), hits[1].Distance, 1e-5f);
    }

    [Theory]
    [InlineData(StoreKind.Memory)]
    [InlineData(StoreKind.File)]
    public async Task DimensionMismatch_Throws_NamingBothCounts(StoreKind kind)
    {
        await using var t = await TestStore.OpenAsync(kind);
        await t.Store.PutVectorAsync("v", 1, new[] { 1f, 2f, 3f }, VectorMetric.L2, None).DefaultTimeout();

        var put = await Assert.ThrowsAsync<ArgumentException>(
            () => t.Store.PutVectorAsync("v", 2, new[] { 1f, 2f }, VectorMetric.L2, None).AsTask()).DefaultTimeout();
        Assert.Contains("2", put.Message, StringComparison.Ordinal);
        Assert.Contains("3", put.Message, StringComparison.Ordinal);

        var search = await Assert.ThrowsAsync<ArgumentException>(
            () => t.Store.SearchAsync("v", new[] { 1f, 2f, 3f, 4f }, 1, None).AsTask()).DefaultTimeout();
        Assert.Contains("4", search.Message, StringComparison.Ordinal);
        Assert.Contains("3", search.Message, StringComparison.Ordinal);

        // The rejected vector was not stored.
        Assert.Equal([1L], (await t.Store.SearchAsync("v", new[] { 0f, 0f, 0f }, 10, None).DefaultTimeout()).Select(h => h.RowId));
    }

    [Fact]
    public async Task DimensionMismatch_AfterReopen_StillThrows()
    {
        using var folder = new TempDirectory();
        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            await store.PutVectorAsync("v", 1, new[] { 1f, 2f, 3f }, VectorMetric.L2, None).DefaultTimeout();
        }

        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            // Neither search nor put has loaded the index yet: the check must read the stored shape.
            var put = await Assert.ThrowsAsync<ArgumentException>(
                () => store.PutVectorAsync("v", 2, new[] { 1f, 2f }, VectorMetric.L2, None).AsTask()).DefaultTimeout();
            Assert.Contains("3", put.Message, StringComparison.Ordinal);
            await store.PutVectorAsync("v", 2, new[] { 1f, 2f, 4f }, VectorMetric.L2, None).DefaultTimeout();
            Assert.Equal([1L, 2L], (await store.SearchAsync("v", new[] { 1f, 2f, 3f }, 10, None).DefaultTimeout()).Select(h => h.RowId));
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public async Task NonFiniteElements_AreRejected(float bad)
    {
        await using var store = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();

        await Assert.ThrowsAsync<ArgumentException>(
            () => store.PutVectorAsync("v", 1, new[] { 1f, bad }, VectorMetric.L2, None).AsTask()).DefaultTimeout();
        Assert.Empty(await store.ListVectorIndexesAsync(None).DefaultTimeout());

        await store.PutVectorAsync("v", 1, new[] { 1f, 2f }, VectorMetric.L2, None).DefaultTimeout();
        await Assert.ThrowsAsync<ArgumentException>(
            () => store.PutVectorAsync("v", 2, new[] { bad, 2f }, VectorMetric.L2, None).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ArgumentException>(
            () => store.SearchAsync("v", new[] { bad, 2f }, 1, None).AsTask()).DefaultTimeout();
        Assert.Single(await store.SearchAsync("v", new[] { 1f, 2f }, 10, None).DefaultTimeout());
    }

    [Fact]
    public async Task EmptyVectorOrUnknownMetric_AreRejected()
    {
        await using var store = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();

        await Assert.ThrowsAsync<ArgumentException>(
            () => store.PutVectorAsync("v", 1, ReadOnlyMemory<float>.Empty, VectorMetric.L2, None).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => store.PutVectorAsync("v", 1, new[] { 1f }, (VectorMetric)7, None).AsTask()).DefaultTimeout();
        Assert.Empty(await store.ListVectorIndexesAsync(None).DefaultTimeout());
    }

    [Fact]
    public async Task SearchAsync_UnknownIndexOrNoTopK_ReturnsEmpty()
    {
        await using var store = await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout();
        await store.PutVectorAsync("v", 1, new[] { 1f, 2f }, VectorMetric.L2, None).DefaultTimeout();

        Assert.Empty(await store.SearchAsync("missing", new[] { 1f, 2f }, 5, None).DefaultTimeout());
        Assert.Empty(await store.SearchAsync("missing", new[] { 1f, 2f, 3f }, 5, None).DefaultTimeout());
        Assert.Empty(await store.SearchAsync("v", new[] { 1f, 2f }, 0, None).DefaultTimeout());
        Assert.Empty(await store.SearchAsync("v", new[] { 1f, 2f }, -3, None).DefaultTimeout());
        Assert.Single(await store.SearchAsync("v", new[] { 1f, 2f }, 1, None).DefaultTimeout());

        // A search of a missing index must not create it.
        Assert.Equal(["v"], await store.ListVectorIndexesAsync(None).DefaultTimeout());
    }

    [Fact]
    public async Task ConcurrentPutsAndSearches_CacheMatchesTheDatabase()
    {
        using var folder = new TempDirectory();
        const int Dims = 16;
        var random = new Random(7);
        var queries = Enumerable.Range(0, 10).Select(_ => RandomVector(random, Dims)).ToArray();
        List<long[]> live;
        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            // Some vectors exist before the first search, so the index is loaded from SQLite while puts race it.
            for (var i = 0; i < 200; i++)
            {
                await store.PutVectorAsync("v", i, RandomVector(random, Dims), VectorMetric.Cosine, None).DefaultTimeout();
            }
        }

        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                var r = new Random(w);
                for (var i = 0; i < 300; i++)
                {
                    // Half new rows, half overwrites of existing ones.
                    long id = i % 2 == 0 ? 1_000 + (w * 1_000) + i : r.Next(0, 200);
                    await store.PutVectorAsync("v", id, RandomVector(r, Dims), VectorMetric.Cosine, None);
                }
            }));
            var searchers = Enumerable.Range(0, 4).Select(s => Task.Run(async () =>
            {
                for (var i = 0; i < 100; i++)
                {
                    var hits = await store.SearchAsync("v", queries[(s + i) % queries.Length], 10, None);
                    Assert.Equal(10, hits.Count);
                    Assert.Equal(hits.Count, hits.Select(h => h.RowId).Distinct().Count());
                }
            }));
            await Task.WhenAll(writers.Concat(searchers)).DefaultTimeout();
            live = await SearchAll(store, queries);
        }

        // A fresh store loads the index from SQLite alone: its answers must equal the cached ones.
        await using (var store = await SqliteHostContext.OpenAsync(folder.Path, None).DefaultTimeout())
        {
            var reloaded = await SearchAll(store, queries);
            Assert.Equal(live, reloaded);
        }
    }

    [Fact]
    public void VectorIndex_CancelledDuringScan_Throws()
    {
        var index = new VectorIndex(4, VectorMetric.L2);
        for (var i = 0; i < 5_000; i++)
        {
            index.Upsert(i, new[] { i, 1f, 2f, 3f });
        }

        Assert.Equal(5_000, index.Count);
        Assert.Single(index.Search(new[] { 1f, 1f, 2f, 3f }, 1, None));
        Assert.Throws<OperationCanceledException>(() => index.Search(new[] { 1f, 1f, 2f, 3f }, 1, new CancellationToken(canceled: true)));
    }

    private static async Task<List<long[]>> SearchAll(SqliteHostContext store, float[][] queries)
    {
        var results = new List<long[]>();
        foreach (var query in queries)
        {
            results.Add([.. (await store.SearchAsync("v", query, 25, None).DefaultTimeout()).Select(h => h.RowId)]);
        }

        return results;
    }

    private static float[] RandomVector(Random random, int dims)
    {
        var vector = new float[dims];
        for (var i = 0; i < dims; i++)
        {
            // Box–Muller: Gaussian components, so directions are uniform.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            vector[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return vector;
    }

    private static double ReferenceDistance(VectorMetric metric, float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0, sq = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
            sq += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        }

        if (metric == VectorMetric.L2)
        {
            return Math.Sqrt(sq);
        }

        return na == 0 || nb == 0 ? 1.0 : 1.0 - (dot / (Math.Sqrt(na) * Math.Sqrt(nb)));
    }

    /// <summary>
    /// Checks hits against a double-precision brute force: the same ids in the same order, except that two ids whose
    /// reference distances are closer than single precision can tell apart may swap places.
    /// </summary>
    private static void AssertMatchesReference(VectorMetric metric, float[][] vectors, long[] rowIds, float[] query, int k, IReadOnlyList<VectorHit> hits)
    {
        var distanceOf = new Dictionary<long, double>();
        for (var i = 0; i < vectors.Length; i++)
        {
            distanceOf[rowIds[i]] = ReferenceDistance(metric, query, vectors[i]);
        }

        var expected = distanceOf.OrderBy(p => p.Value).ThenBy(p => p.Key).Take(k).Select(p => p.Key).ToArray();
        Assert.Equal(expected.Length, hits.Count);
        Assert.Equal(hits.Count, hits.Select(h => h.RowId).Distinct().Count());
        for (var i = 0; i < hits.Count; i++)
        {
            var actual = hits[i];
            var tolerance = 1e-5 * Math.Max(1.0, distanceOf[actual.RowId]);
            Assert.True(
                Math.Abs(distanceOf[actual.RowId] - actual.Distance) <= tolerance,
                $"hit {i}: row {actual.RowId} has distance {actual.Distance}, reference {distanceOf[actual.RowId]}");
            if (i > 0)
            {
                // Nearest first, ties by ascending row id, by the distances the store reports.
                var previous = hits[i - 1];
                Assert.True(
                    previous.Distance < actual.Distance || (previous.Distance == actual.Distance && previous.RowId < actual.RowId),
                    $"hits {i - 1} and {i} are out of order: {previous} then {actual}");
            }

            if (actual.RowId != expected[i])
            {
                Assert.True(
                    Math.Abs(distanceOf[actual.RowId] - distanceOf[expected[i]]) <= tolerance,
                    $"hit {i}: row {actual.RowId} (reference {distanceOf[actual.RowId]}) where row {expected[i]} (reference {distanceOf[expected[i]]}) belongs");
            }
        }
    }
}

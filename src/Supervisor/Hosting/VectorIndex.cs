using System.Buffers;
using System.Numerics.Tensors;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// The in-memory copy of one vector index that exact searches scan: every vector packed in one array, so a search is
/// one SIMD kernel (<see cref="TensorPrimitives"/>) per vector and never touches SQLite.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe: searches and upserts take a lock, so a search sees each vector either wholly before or wholly after a
/// concurrent upsert. Searches of one index therefore take turns; different indexes do not contend.
/// </para>
/// <para>
/// For <see cref="VectorMetric.Cosine"/> the stored copies are unit vectors (scaled by their largest magnitude first,
/// so a norm can't overflow or underflow), which makes a distance <c>1 - dot(q̂, v̂)</c>, clamped to [0, 2]. A zero
/// vector — stored or queried — has no direction: its unit copy is all zeros, so its distance to anything is exactly 1
/// (similarity 0).
/// </para>
/// </remarks>
internal sealed class VectorIndex
{
    /// <summary>How many vectors a search scans between cancellation checks.</summary>
    private const int CancellationStride = 1024;

    private readonly Lock sync = new();
    private readonly Dictionary<long, int> slots = [];
    private float[] data = [];
    private long[] rowIds = [];
    private int count;

    /// <summary>Initializes a new instance of the <see cref="VectorIndex"/> class, empty.</summary>
    /// <param name="dimensions">The dimension count of every vector.</param>
    /// <param name="metric">How distances are measured.</param>
    public VectorIndex(int dimensions, VectorMetric metric)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        Dimensions = dimensions;
        Metric = metric;
    }

    /// <summary>Gets the dimension count of every vector.</summary>
    public int Dimensions { get; }

    /// <summary>Gets how distances are measured.</summary>
    public VectorMetric Metric { get; }

    /// <summary>Gets how many vectors the index holds.</summary>
    public int Count
    {
        get
        {
            lock (sync)
            {
                return count;
            }
        }
    }

    /// <summary>Inserts or replaces a row's vector.</summary>
    /// <param name="rowId">The row id.</param>
    /// <param name="vector">The vector; finite, with <see cref="Dimensions"/> elements (the caller checked).</param>
    public void Upsert(long rowId, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimensions)
        {
            throw new ArgumentException(DimensionMessage("The vector", vector.Length), nameof(vector));
        }

        lock (sync)
        {
            if (!slots.TryGetValue(rowId, out var slot))
            {
                slot = count;
                if (slot == rowIds.Length)
                {
                    var capacity = Math.Max(16, checked(rowIds.Length * 2));
                    Array.Resize(ref rowIds, capacity);
                    Array.Resize(ref data, checked(capacity * Dimensions));
                }

                rowIds[slot] = rowId;
                slots.Add(rowId, slot);
                count++;
            }

            Prepare(vector, data.AsSpan(slot * Dimensions, Dimensions));
        }
    }

    /// <summary>Finds the exact <paramref name="topK"/> nearest vectors.</summary>
    /// <param name="query">The query; finite, with <see cref="Dimensions"/> elements.</param>
    /// <param name="topK">How many hits to return at most; positive.</param>
    /// <param name="cancellationToken">Checked every <see cref="CancellationStride"/> vectors.</param>
    /// <returns>The hits, nearest first, ties by ascending row id.</returns>
    /// <exception cref="ArgumentException">The query's dimensions differ from the index's.</exception>
    public VectorHit[] Search(ReadOnlySpan<float> query, int topK, CancellationToken cancellationToken)
    {
        if (query.Length != Dimensions)
        {
            throw new ArgumentException(DimensionMessage("The query", query.Length), nameof(query));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topK);
        var rented = ArrayPool<float>.Shared.Rent(Dimensions);
        try
        {
            var q = rented.AsSpan(0, Dimensions);
            Prepare(query, q);
            lock (sync)
            {
                return Scan(q, topK, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private VectorHit[] Scan(ReadOnlySpan<float> query, int topK, CancellationToken cancellationToken)
    {
        var n = count;
        var k = Math.Min(topK, n);
        if (k == 0)
        {
            return [];
        }

        // A bounded max-heap of the k best so far: its root is the worst kept hit, the one a better candidate evicts.
        var heap = new PriorityQueue<int, Candidate>(k, WorstFirst.Instance);
        var cosine = Metric == VectorMetric.Cosine;
        var dims = Dimensions;
        var vectors = data;
        for (var i = 0; i < n; i++)
        {
            if (i % CancellationStride == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var v = new ReadOnlySpan<float>(vectors, i * dims, dims);
            var distance = cosine
                ? Math.Clamp(1f - TensorPrimitives.Dot(query, v), 0f, 2f)
                : TensorPrimitives.Distance(query, v);
            var candidate = new Candidate(distance, rowIds[i]);
            if (heap.Count < k)
            {
                heap.Enqueue(i, candidate);
            }
            else if (heap.TryPeek(out _, out var worst) && Candidate.Compare(candidate, worst) < 0)
            {
                heap.DequeueEnqueue(i, candidate);
            }
        }

        var hits = new VectorHit[heap.Count];
        for (var j = hits.Length - 1; heap.TryDequeue(out _, out var hit); j--)
        {
            hits[j] = new VectorHit(hit.RowId, hit.Distance);
        }

        return hits;
    }

    /// <summary>Writes the form a vector is kept and compared in: a copy for L2, the unit vector for cosine.</summary>
    private void Prepare(ReadOnlySpan<float> vector, Span<float> destination)
    {
        if (Metric != VectorMetric.Cosine)
        {
            vector.CopyTo(destination);
            return;
        }

        var largest = Math.Abs(TensorPrimitives.MaxMagnitude(vector));
        if (largest == 0f)
        {
            destination.Clear();
            return;
        }

        // Scaling into [-1, 1] first keeps the norm finite for huge elements and non-zero for subnormal ones.
        TensorPrimitives.Divide(vector, largest, destination);
        TensorPrimitives.Divide(destination, TensorPrimitives.Norm<float>(destination), destination);
    }

    private string DimensionMessage(string what, int dimensions) =>
        $"{what} has {dimensions} dimensions but the index has {Dimensions}.";

    /// <summary>A scored vector: ordered by distance, then by row id.</summary>
    private readonly record struct Candidate(float Distance, long RowId)
    {
        public static int Compare(Candidate x, Candidate y)
        {
            var byDistance = x.Distance.CompareTo(y.Distance);
            return byDistance != 0 ? byDistance : x.RowId.CompareTo(y.RowId);
        }
    }

    /// <summary>Orders candidates worst first, turning <see cref="PriorityQueue{TElement, TPriority}"/> into a max-heap.</summary>
    private sealed class WorstFirst : IComparer<Candidate>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare(Candidate x, Candidate y) => Candidate.Compare(y, x);
    }
}

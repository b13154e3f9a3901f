namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// The database the host functions act on. The supervisor checks capabilities, budgets and audits every call before
/// it reaches this interface, so an implementation only stores and searches. The default is
/// <see cref="SqliteHostContext"/>; a kernel plugs in its own database by implementing this.
/// </summary>
/// <remarks>Implementations must be thread-safe: calls for different plugins arrive concurrently.</remarks>
public interface IHostContext
{
    /// <summary>Reads a row.</summary>
    /// <param name="table">The table.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="cancellationToken">The remaining budget of the plugin call that asked.</param>
    /// <returns>The row's bytes, or <see langword="null"/> when there is no such row (or table).</returns>
    ValueTask<byte[]?> ReadAsync(string table, long rowId, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a row.</summary>
    /// <param name="table">The table; created on first write.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="data">The row's bytes.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns><see langword="true"/> when a row was replaced (an update), <see langword="false"/> when one was inserted.</returns>
    ValueTask<bool> WriteAsync(string table, long rowId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Deletes a row.</summary>
    /// <param name="table">The table.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns><see langword="true"/> when a row was deleted.</returns>
    ValueTask<bool> DeleteAsync(string table, long rowId, CancellationToken cancellationToken);

    /// <summary>Reads rows in row-id order, starting at <paramref name="startRow"/> (inclusive).</summary>
    /// <param name="table">The table.</param>
    /// <param name="startRow">The first row id to consider.</param>
    /// <param name="limit">The most rows to return.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns>The rows, ascending by id; empty for an unknown table.</returns>
    ValueTask<IReadOnlyList<StoredRow>> ScanAsync(string table, long startRow, int limit, CancellationToken cancellationToken);

    /// <summary>Adds (or removes) an entry of a secondary index: <paramref name="key"/> → <paramref name="rowId"/>.</summary>
    /// <param name="index">The index; created on first use.</param>
    /// <param name="key">The key bytes, compared exactly.</param>
    /// <param name="rowId">The row id the key points to; a key may point to many rows.</param>
    /// <param name="remove">Whether to remove the entry instead.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns><see langword="true"/> when an entry was added (or removed); <see langword="false"/> when it was already there (or absent).</returns>
    ValueTask<bool> PutIndexEntryAsync(string index, ReadOnlyMemory<byte> key, long rowId, bool remove, CancellationToken cancellationToken);

    /// <summary>Finds the row ids a secondary-index key points to.</summary>
    /// <param name="index">The index.</param>
    /// <param name="key">The key bytes.</param>
    /// <param name="limit">The most row ids to return.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns>The row ids, ascending; empty for an unknown index or key.</returns>
    ValueTask<IReadOnlyList<long>> LookupIndexAsync(string index, ReadOnlyMemory<byte> key, int limit, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a row's vector in an index.</summary>
    /// <param name="index">The index; created on first use with the vector's dimensions and <paramref name="metric"/>.</param>
    /// <param name="rowId">The row id.</param>
    /// <param name="vector">The vector.</param>
    /// <param name="metric">The metric for a new index; ignored when the index exists.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns>A task that completes when the vector is stored.</returns>
    /// <exception cref="ArgumentException">The vector's dimensions differ from the index's, or it holds NaN or infinity.</exception>
    ValueTask PutVectorAsync(string index, long rowId, ReadOnlyMemory<float> vector, VectorMetric metric, CancellationToken cancellationToken);

    /// <summary>Finds the exact <paramref name="topK"/> nearest vectors.</summary>
    /// <param name="index">The index.</param>
    /// <param name="query">The query vector.</param>
    /// <param name="topK">How many hits to return at most.</param>
    /// <param name="cancellationToken">The remaining budget.</param>
    /// <returns>The hits, nearest first (ties by ascending row id); empty for an unknown index.</returns>
    /// <exception cref="ArgumentException">The query's dimensions differ from the index's.</exception>
    ValueTask<IReadOnlyList<VectorHit>> SearchAsync(string index, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken);
}

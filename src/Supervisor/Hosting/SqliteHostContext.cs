using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Statement = SochDb.Isolated.Supervisor.Hosting.SqliteSession.Statement;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// The default <see cref="IHostContext"/>: an embedded SQLite database in one file (<see cref="DatabaseFileName"/>),
/// with exact vector search over an in-memory copy of each index.
/// </summary>
/// <remarks>
/// <para>
/// <b>Durability.</b> The file runs in WAL mode with <c>synchronous=NORMAL</c>: every call is its own transaction,
/// and a committed one survives the process crashing or being killed at any point. Only an operating-system crash or
/// power loss can roll back the last transactions before it (never corrupting the file). <c>FULL</c> would close that
/// window at the price of an fsync for every single row a plugin writes, since host calls can't batch commits.
/// </para>
/// <para>
/// <b>Concurrency.</b> Thread-safe. Writes (and the loading of a vector index) take turns on one connection, held
/// under an async gate, which is how SQLite serializes writers anyway and spares them lock contention. Reads of a
/// file-backed store run concurrently on pooled read-only connections, which WAL lets proceed while a write commits.
/// An in-memory store has a single connection, so its reads take the gate too.
/// </para>
/// <para>
/// <b>Vector search.</b> An index's vectors are loaded into memory on its first search (or when a put creates the
/// index) and kept there; later puts update that copy right after they commit, under the same gate, so the copy never
/// lags the database. That is also why one store must own its file: a second <see cref="SqliteHostContext"/> (or
/// process) writing to it would go unseen, so <see cref="OpenAsync"/> takes a lock file and refuses a second opener.
/// </para>
/// <para>
/// <b>Safety.</b> Table and index names come from untrusted plugins; they are only ever bound as parameters.
/// </para>
/// </remarks>
public sealed class SqliteHostContext : IHostContext, IAsyncDisposable
{
    /// <summary>The name of the database file in the data directory.</summary>
    public const string DatabaseFileName = "sochdb.db";

    /// <summary>The name of the file whose lock marks the data directory as owned.</summary>
    public const string LockFileName = "sochdb.lock";

    /// <summary>The schema version this build writes, kept in <c>PRAGMA user_version</c>.</summary>
    private const long SchemaVersion = 2;

    /// <summary>The most idle read connections kept for reuse.</summary>
    private static readonly int MaxIdleReaders = Math.Max(4, Environment.ProcessorCount * 2);

    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly SqliteSession writer;
    private readonly string? readerConnectionString;
    private readonly FileStream? lockFile;
    private readonly ConcurrentBag<SqliteSession> idleReaders = [];
    private readonly ConcurrentDictionary<string, VectorIndex> indexes = new(StringComparer.Ordinal);
    private volatile bool disposed;
    private int disposeStarted;

    private SqliteHostContext(SqliteSession writer, string? readerConnectionString, FileStream? lockFile, string? databasePath)
    {
        this.writer = writer;
        this.readerConnectionString = readerConnectionString;
        this.lockFile = lockFile;
        DatabasePath = databasePath;
    }

    /// <summary>Gets the full path of the database file, or <see langword="null"/> for an in-memory store.</summary>
    public string? DatabasePath { get; }

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">The folder; created if missing. It holds <see cref="DatabaseFileName"/>, its WAL
    /// files and <see cref="LockFileName"/>.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open store; dispose it to close the file.</returns>
    /// <exception cref="IOException">Another store has the directory open.</exception>
    /// <exception cref="NotSupportedException">The file was written by a newer schema, or WAL mode is unavailable.</exception>
    public static async Task<SqliteHostContext> OpenAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(directory);
        var lockFile = AcquireLockFile(Path.Combine(directory, LockFileName));
        SqliteSession? writer = null;
        try
        {
            var path = Path.Combine(directory, DatabaseFileName);
            var writerConnectionString = new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
            }.ToString();
            var readerConnectionString = new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
            }.ToString();

            writer = await SqliteSession.OpenAsync(writerConnectionString, cancellationToken).ConfigureAwait(false);
            var journalMode = await writer.ExecuteScalarAsync("PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
            if (!string.Equals(journalMode as string, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new NotSupportedException($"SQLite refused WAL mode for '{path}' (journal mode '{journalMode}').");
            }

            // Per connection; the only connection that writes is this one. See the class remarks for why NORMAL.
            await writer.ExecuteScalarAsync("PRAGMA synchronous = NORMAL", cancellationToken).ConfigureAwait(false);
            await CreateSchemaAsync(writer, cancellationToken).ConfigureAwait(false);
            return new SqliteHostContext(writer, readerConnectionString, lockFile, path);
        }
        catch
        {
            writer?.Dispose();
            await lockFile.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a store that lives in memory only, for tests and throwaway hosts; it is gone once disposed.</summary>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open store.</returns>
    public static async Task<SqliteHostContext> OpenInMemoryAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connectionString = new SqliteConnectionStringBuilder
        {
            // One private in-memory database, alive exactly as long as this connection.
            DataSource = ":memory:",
            Pooling = false,
        }.ToString();
        var writer = await SqliteSession.OpenAsync(connectionString, cancellationToken).ConfigureAwait(false);
        try
        {
            await CreateSchemaAsync(writer, cancellationToken).ConfigureAwait(false);
            return new SqliteHostContext(writer, readerConnectionString: null, lockFile: null, databasePath: null);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<byte[]?> ReadAsync(string table, long rowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var session = await EnterReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = session.Get(Statement.ReadRow);
            command.Parameters[0].Value = table;
            command.Parameters[1].Value = rowId;
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadBlob(reader, 0) : null;
        }
        finally
        {
            ExitRead(session);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> WriteAsync(string table, long rowId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var bytes = AsArray(data);
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await BeginAsync(cancellationToken).ConfigureAwait(false);
            await using var transactionScope = transaction.ConfigureAwait(false);
            var exists = writer.Get(Statement.RowExists, transaction);
            exists.Parameters[0].Value = table;
            exists.Parameters[1].Value = rowId;
            var existed = Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), null) != 0;

            var upsert = writer.Get(Statement.UpsertRow, transaction);
            upsert.Parameters[0].Value = table;
            upsert.Parameters[1].Value = rowId;
            upsert.Parameters[2].Value = bytes;
            try
            {
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // The prepared command outlives the call: don't let it pin a large row until the next write.
                upsert.Parameters[2].Value = DBNull.Value;
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return existed;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> DeleteAsync(string table, long rowId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var delete = writer.Get(Statement.DeleteRow);
            delete.Parameters[0].Value = table;
            delete.Parameters[1].Value = rowId;
            return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> PutIndexEntryAsync(string index, ReadOnlyMemory<byte> key, long rowId, bool remove, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = writer.Get(remove ? Statement.DeleteIndexEntry : Statement.UpsertIndexEntry);
            command.Parameters[0].Value = index;
            command.Parameters[1].Value = key.ToArray();
            command.Parameters[2].Value = rowId;
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>A <paramref name="limit"/> of zero or less returns no row ids.</remarks>
    public async ValueTask<IReadOnlyList<long>> LookupIndexAsync(string index, ReadOnlyMemory<byte> key, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        cancellationToken.ThrowIfCancellationRequested();
        if (limit <= 0)
        {
            return [];
        }

        var session = await EnterReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = session.Get(Statement.LookupIndex);
            command.Parameters[0].Value = index;
            command.Parameters[1].Value = key.ToArray();
            command.Parameters[2].Value = limit;
            var ids = new List<long>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetInt64(0));
            }

            return ids;
        }
        finally
        {
            ExitRead(session);
        }
    }

    /// <inheritdoc/>
    /// <remarks>A <paramref name="limit"/> of zero or less returns no rows.</remarks>
    public async ValueTask<IReadOnlyList<StoredRow>> ScanAsync(string table, long startRow, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        cancellationToken.ThrowIfCancellationRequested();
        if (limit <= 0)
        {
            return [];
        }

        var session = await EnterReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = session.Get(Statement.ScanRows);
            command.Parameters[0].Value = table;
            command.Parameters[1].Value = startRow;
            command.Parameters[2].Value = limit;
            var rows = new List<StoredRow>(Math.Min(limit, 256));
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new StoredRow(reader.GetInt64(0), ReadBlob(reader, 1)));
            }

            return rows;
        }
        finally
        {
            ExitRead(session);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The vector is empty; or it creates an index and <paramref name="metric"/> is
    /// not a <see cref="VectorMetric"/>.</exception>
    public async ValueTask PutVectorAsync(string index, long rowId, ReadOnlyMemory<float> vector, VectorMetric metric, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (vector.IsEmpty)
        {
            throw new ArgumentException("A vector needs at least one dimension.", nameof(vector));
        }

        if (!TensorPrimitives.IsFiniteAll(vector.Span))
        {
            throw new ArgumentException("The vector holds NaN or infinity.", nameof(vector));
        }

        var bytes = VectorCodec.Encode(vector.Span);
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            indexes.TryGetValue(index, out var cached);
            var (dimensions, _) = cached is not null
                ? (cached.Dimensions, cached.Metric)
                : await ReadIndexAsync(index, cancellationToken).ConfigureAwait(false);
            var creating = dimensions == 0;
            if (creating && !Enum.IsDefined(metric))
            {
                throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown vector metric.");
            }

            if (!creating && dimensions != vector.Length)
            {
                throw new ArgumentException(
                    $"The vector has {vector.Length} dimensions but index '{index}' has {dimensions}.", nameof(vector));
            }

            var transaction = await BeginAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                if (creating)
                {
                    var create = writer.Get(Statement.CreateIndex, transaction);
                    create.Parameters[0].Value = index;
                    create.Parameters[1].Value = vector.Length;
                    create.Parameters[2].Value = (int)metric;
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var upsert = writer.Get(Statement.UpsertVector, transaction);
                upsert.Parameters[0].Value = index;
                upsert.Parameters[1].Value = rowId;
                upsert.Parameters[2].Value = bytes;
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            // Committed: bring the in-memory copy along before anyone else writes. A new index's copy is complete
            // (this is its only vector); an existing index that was never searched stays unloaded until it is.
            if (creating)
            {
                cached = new VectorIndex(vector.Length, metric);
                indexes[index] = cached;
            }

            cached?.Upsert(rowId, vector.Span);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Distances are computed in single precision. A <paramref name="topK"/> of zero or less returns no hits. For
    /// <see cref="VectorMetric.Cosine"/> a zero vector (stored or queried) is at distance 1 from everything.
    /// </remarks>
    /// <exception cref="ArgumentException">The query holds NaN or infinity.</exception>
    public async ValueTask<IReadOnlyList<VectorHit>> SearchAsync(string index, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        cancellationToken.ThrowIfCancellationRequested();
        if (topK <= 0)
        {
            return [];
        }

        if (!TensorPrimitives.IsFiniteAll(query.Span))
        {
            throw new ArgumentException("The query holds NaN or infinity.", nameof(query));
        }

        ObjectDisposedException.ThrowIf(disposed, this);
        if (!indexes.TryGetValue(index, out var loaded))
        {
            loaded = await LoadIndexAsync(index, cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                return [];
            }
        }

        return loaded.Search(query.Span, topK, cancellationToken);
    }

    /// <summary>Lists the tables that hold at least one row.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The table names, in ordinal order.</returns>
    public Task<IReadOnlyList<string>> ListTablesAsync(CancellationToken cancellationToken) =>
        ListNamesAsync(Statement.ListTables, cancellationToken);

    /// <summary>Lists the vector indexes.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The index names, in ordinal order.</returns>
    public Task<IReadOnlyList<string>> ListVectorIndexesAsync(CancellationToken cancellationToken) =>
        ListNamesAsync(Statement.ListIndexes, cancellationToken);

    /// <summary>Closes the database, after the write in progress (if any) finishes. Calls made afterwards throw
    /// <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the file is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposeStarted, 1) != 0)
        {
            return;
        }

        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            disposed = true;
            DisposeIdleReaders();
            writer.Dispose();
            indexes.Clear();
            if (lockFile is not null)
            {
                await lockFile.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // Not disposed: callers still waiting must get in, see the flag and throw rather than hang.
            gate.Release();
        }
    }

    /// <summary>Holds the write gate until the returned lease is disposed: lets tests park callers in line.</summary>
    /// <param name="cancellationToken">Cancels the wait for the gate.</param>
    /// <returns>The lease.</returns>
    internal async Task<IDisposable> HoldWriteGateAsync(CancellationToken cancellationToken)
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        return new GateLease(gate);
    }

    private static async Task CreateSchemaAsync(SqliteSession session, CancellationToken cancellationToken)
    {
        var version = Convert.ToInt64(await session.ExecuteScalarAsync("PRAGMA user_version", cancellationToken).ConfigureAwait(false), null);
        if (version > SchemaVersion)
        {
            throw new NotSupportedException(
                $"The database has schema version {version}; this build understands up to {SchemaVersion}.");
        }

        await session.ExecuteScalarAsync(
            """
            CREATE TABLE IF NOT EXISTS rows (
                tbl TEXT NOT NULL,
                row_id INTEGER NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (tbl, row_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS vector_indexes (
                name TEXT NOT NULL PRIMARY KEY,
                dims INTEGER NOT NULL CHECK (dims > 0),
                metric INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS vectors (
                idx TEXT NOT NULL,
                row_id INTEGER NOT NULL,
                vec BLOB NOT NULL,
                PRIMARY KEY (idx, row_id)
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS index_entries (
                idx TEXT NOT NULL,
                key BLOB NOT NULL,
                row_id INTEGER NOT NULL,
                PRIMARY KEY (idx, key, row_id)
            ) WITHOUT ROWID;
            PRAGMA user_version = 2;
            """,
            cancellationToken).ConfigureAwait(false);
    }

    private static FileStream AcquireLockFile(string path)
    {
        try
        {
            // FileShare.None is an exclusive advisory lock on Unix too, held until the stream closes (or the process dies).
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The data directory '{Path.GetDirectoryName(path)}' is already open by another store.", ex);
        }
    }

    private static byte[] AsArray(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : data.ToArray();

    private static byte[] ReadBlob(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? [] : reader.GetFieldValue<byte[]>(ordinal);

    private async Task<SqliteTransaction> BeginAsync(CancellationToken cancellationToken) =>
        (SqliteTransaction)await writer.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Reads an index's shape from the database; the caller holds the gate.</summary>
    /// <returns>Its dimensions and metric; zero dimensions when there is no such index.</returns>
    private async Task<(int Dimensions, VectorMetric Metric)> ReadIndexAsync(string index, CancellationToken cancellationToken)
    {
        var command = writer.Get(Statement.ReadIndex);
        command.Parameters[0].Value = index;
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (0, default);
        }

        var dimensions = reader.GetInt32(0);
        var metric = (VectorMetric)reader.GetInt32(1);
        if (dimensions <= 0 || !Enum.IsDefined(metric))
        {
            throw new InvalidDataException($"Vector index '{index}' is stored with {dimensions} dimensions and metric {(int)metric}.");
        }

        return (dimensions, metric);
    }

    /// <summary>Loads an index into memory, under the gate so that no put slips between the read and the publish.</summary>
    /// <returns>The loaded index, or <see langword="null"/> when there is no such index.</returns>
    private async Task<VectorIndex?> LoadIndexAsync(string index, CancellationToken cancellationToken)
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (indexes.TryGetValue(index, out var loaded))
            {
                return loaded;
            }

            var (dimensions, metric) = await ReadIndexAsync(index, cancellationToken).ConfigureAwait(false);
            if (dimensions == 0)
            {
                return null;
            }

            loaded = new VectorIndex(dimensions, metric);
            var vector = new float[dimensions];
            var command = writer.Get(Statement.LoadVectors);
            command.Parameters[0].Value = index;
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    VectorCodec.Decode(reader.GetFieldValue<byte[]>(1), vector);
                    loaded.Upsert(reader.GetInt64(0), vector);
                }
            }

            indexes[index] = loaded;
            return loaded;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IReadOnlyList<string>> ListNamesAsync(Statement statement, CancellationToken cancellationToken)
    {
        var session = await EnterReadAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var names = new List<string>();
            using var reader = await session.Get(statement).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                names.Add(reader.GetString(0));
            }

            return names;
        }
        finally
        {
            ExitRead(session);
        }
    }

    /// <summary>Takes the gate that owns the writer connection; the caller releases it.</summary>
    private async Task EnterWriteAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(disposed, this);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (disposed)
        {
            gate.Release();
            throw new ObjectDisposedException(GetType().FullName);
        }
    }

    /// <summary>Gets a session to read on: a pooled reader, or the writer (under the gate) for an in-memory store.</summary>
    private async Task<SqliteSession> EnterReadAsync(CancellationToken cancellationToken)
    {
        if (readerConnectionString is null)
        {
            await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
            return writer;
        }

        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(disposed, this);
        return idleReaders.TryTake(out var idle)
            ? idle
            : await SqliteSession.OpenAsync(readerConnectionString, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands back a session from <see cref="EnterReadAsync"/>.</summary>
    private void ExitRead(SqliteSession session)
    {
        if (ReferenceEquals(session, writer))
        {
            gate.Release();
            return;
        }

        if (disposed || idleReaders.Count >= MaxIdleReaders)
        {
            session.Dispose();
            return;
        }

        idleReaders.Add(session);
        if (disposed)
        {
            // Disposal may have emptied the pool between the check and the add.
            DisposeIdleReaders();
        }
    }

    private void DisposeIdleReaders()
    {
        while (idleReaders.TryTake(out var session))
        {
            session.Dispose();
        }
    }

    /// <summary>Releases the gate once.</summary>
    private sealed class GateLease(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}

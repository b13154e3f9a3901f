using Microsoft.Data.Sqlite;

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>
/// One SQLite connection and the statements prepared on it. Not thread-safe: whoever holds a session uses it alone
/// (the writer session under the store's gate, a reader session while rented from the pool).
/// </summary>
/// <remarks>
/// Every statement's text is a constant: table and index names travel only as parameters, never as SQL.
/// </remarks>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<Statement, SqliteCommand> prepared = [];

    private SqliteSession(SqliteConnection connection) => Connection = connection;

    /// <summary>The statements a session runs; each is prepared once per connection, on first use.</summary>
    public enum Statement
    {
        /// <summary>Reads one row: <c>$tbl</c>, <c>$row</c>.</summary>
        ReadRow,

        /// <summary>Tells whether a row exists: <c>$tbl</c>, <c>$row</c>.</summary>
        RowExists,

        /// <summary>Inserts or replaces a row: <c>$tbl</c>, <c>$row</c>, <c>$data</c>.</summary>
        UpsertRow,

        /// <summary>Deletes a row: <c>$tbl</c>, <c>$row</c>.</summary>
        DeleteRow,

        /// <summary>Reads rows from a row id on: <c>$tbl</c>, <c>$row</c>, <c>$limit</c>.</summary>
        ScanRows,

        /// <summary>Lists the tables that hold rows.</summary>
        ListTables,

        /// <summary>Reads an index's dimensions and metric: <c>$idx</c>.</summary>
        ReadIndex,

        /// <summary>Creates an index: <c>$idx</c>, <c>$dims</c>, <c>$metric</c>.</summary>
        CreateIndex,

        /// <summary>Lists the vector indexes.</summary>
        ListIndexes,

        /// <summary>Inserts or replaces a vector: <c>$idx</c>, <c>$row</c>, <c>$vec</c>.</summary>
        UpsertVector,

        /// <summary>Reads all of an index's vectors: <c>$idx</c>.</summary>
        LoadVectors,

        /// <summary>Adds a secondary-index entry (idempotent): <c>$idx</c>, <c>$key</c>, <c>$row</c>.</summary>
        UpsertIndexEntry,

        /// <summary>Removes a secondary-index entry: <c>$idx</c>, <c>$key</c>, <c>$row</c>.</summary>
        DeleteIndexEntry,

        /// <summary>Finds the row ids under a key: <c>$idx</c>, <c>$key</c>, <c>$limit</c>.</summary>
        LookupIndex,
    }

    /// <summary>Gets the connection.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>Opens a session.</summary>
    /// <param name="connectionString">The connection string.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The open session.</returns>
    public static async Task<SqliteSession> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return new SqliteSession(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Gets a prepared statement with its parameters ready to bind.</summary>
    /// <param name="statement">The statement.</param>
    /// <param name="transaction">The transaction it runs in, or <see langword="null"/> for autocommit.</param>
    /// <returns>The command; its parameters keep the values of its last use until rebound.</returns>
    public SqliteCommand Get(Statement statement, SqliteTransaction? transaction = null)
    {
        if (!prepared.TryGetValue(statement, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = SqlOf(statement);
            foreach (var (name, type) in ParametersOf(statement))
            {
                command.Parameters.Add(name, type);
            }

            command.Prepare();
            prepared.Add(statement, command);
        }

        // Microsoft.Data.Sqlite insists that a command names the connection's current transaction, if any.
        command.Transaction = transaction;
        return command;
    }

    /// <summary>Runs a statement that is not worth preparing (pragmas and schema).</summary>
    /// <param name="sql">The statement: a constant.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The first column of the first row, if any.</returns>
    public async Task<object?> ExecuteScalarAsync(string sql, CancellationToken cancellationToken)
    {
        using var command = Connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var command in prepared.Values)
        {
            command.Dispose();
        }

        prepared.Clear();
        Connection.Dispose();
    }

    private static string SqlOf(Statement statement) => statement switch
    {
        Statement.ReadRow => "SELECT data FROM rows WHERE tbl = $tbl AND row_id = $row",
        Statement.RowExists => "SELECT EXISTS (SELECT 1 FROM rows WHERE tbl = $tbl AND row_id = $row)",
        Statement.UpsertRow =>
            "INSERT INTO rows (tbl, row_id, data) VALUES ($tbl, $row, $data) " +
            "ON CONFLICT (tbl, row_id) DO UPDATE SET data = excluded.data",
        Statement.DeleteRow => "DELETE FROM rows WHERE tbl = $tbl AND row_id = $row",
        Statement.ScanRows =>
            "SELECT row_id, data FROM rows WHERE tbl = $tbl AND row_id >= $row ORDER BY row_id LIMIT $limit",
        Statement.ListTables => "SELECT DISTINCT tbl FROM rows ORDER BY tbl",
        Statement.ReadIndex => "SELECT dims, metric FROM vector_indexes WHERE name = $idx",
        Statement.CreateIndex => "INSERT INTO vector_indexes (name, dims, metric) VALUES ($idx, $dims, $metric)",
        Statement.ListIndexes => "SELECT name FROM vector_indexes ORDER BY name",
        Statement.UpsertVector =>
            "INSERT INTO vectors (idx, row_id, vec) VALUES ($idx, $row, $vec) " +
            "ON CONFLICT (idx, row_id) DO UPDATE SET vec = excluded.vec",
        Statement.LoadVectors => "SELECT row_id, vec FROM vectors WHERE idx = $idx ORDER BY row_id",
        Statement.UpsertIndexEntry => "INSERT INTO index_entries (idx, key, row_id) VALUES ($idx, $key, $row) ON CONFLICT DO NOTHING",
        Statement.DeleteIndexEntry => "DELETE FROM index_entries WHERE idx = $idx AND key = $key AND row_id = $row",
        Statement.LookupIndex => "SELECT row_id FROM index_entries WHERE idx = $idx AND key = $key ORDER BY row_id LIMIT $limit",
        _ => throw new ArgumentOutOfRangeException(nameof(statement), statement, null),
    };

    private static (string Name, SqliteType Type)[] ParametersOf(Statement statement) => statement switch
    {
        Statement.ReadRow or Statement.RowExists or Statement.DeleteRow =>
            [("$tbl", SqliteType.Text), ("$row", SqliteType.Integer)],
        Statement.UpsertRow => [("$tbl", SqliteType.Text), ("$row", SqliteType.Integer), ("$data", SqliteType.Blob)],
        Statement.ScanRows => [("$tbl", SqliteType.Text), ("$row", SqliteType.Integer), ("$limit", SqliteType.Integer)],
        Statement.ReadIndex or Statement.LoadVectors => [("$idx", SqliteType.Text)],
        Statement.CreateIndex => [("$idx", SqliteType.Text), ("$dims", SqliteType.Integer), ("$metric", SqliteType.Integer)],
        Statement.UpsertVector => [("$idx", SqliteType.Text), ("$row", SqliteType.Integer), ("$vec", SqliteType.Blob)],
        Statement.UpsertIndexEntry or Statement.DeleteIndexEntry => [("$idx", SqliteType.Text), ("$key", SqliteType.Blob), ("$row", SqliteType.Integer)],
        Statement.LookupIndex => [("$idx", SqliteType.Text), ("$key", SqliteType.Blob), ("$limit", SqliteType.Integer)],
        _ => [],
    };
}

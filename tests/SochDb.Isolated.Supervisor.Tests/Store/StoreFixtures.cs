using System.Runtime.CompilerServices;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Store;

/// <summary>Which kind of store a test runs against.</summary>
public enum StoreKind
{
    /// <summary>A file in a temporary folder (WAL, pooled readers).</summary>
    File,

    /// <summary>An in-memory database (one connection).</summary>
    Memory,
}

/// <summary>A temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sochdb-store-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>A store of some <see cref="StoreKind"/>, with its temporary folder removed on dispose.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly TempDirectory? folder;

    private TestStore(SqliteHostContext store, TempDirectory? folder)
    {
        Store = store;
        this.folder = folder;
    }

    public SqliteHostContext Store { get; }

    public static async Task<TestStore> OpenAsync(StoreKind kind)
    {
        if (kind == StoreKind.Memory)
        {
            return new TestStore(await SqliteHostContext.OpenInMemoryAsync().DefaultTimeout(), null);
        }

        var folder = new TempDirectory();
        try
        {
            return new TestStore(await SqliteHostContext.OpenAsync(folder.Path, CancellationToken.None).DefaultTimeout(), folder);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().DefaultTimeout();
        folder?.Dispose();
    }
}

/// <summary><see cref="TestTimeouts"/> for the store's <see cref="ValueTask"/>s.</summary>
internal static class ValueTaskTimeouts
{
    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().DefaultTimeout(file, line);

    public static Task DefaultTimeout(this ValueTask task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().DefaultTimeout(file, line);
}

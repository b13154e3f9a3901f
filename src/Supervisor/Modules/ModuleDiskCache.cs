using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Modules;

/// <summary>
/// Precompiled module artifacts on disk, in a directory only the supervisor's user may enter, so that a supervisor
/// restart does not compile every module again. The supervisor is the only reader and writer: workers receive
/// verified bytes over their channel and never learn the path.
/// </summary>
/// <remarks>
/// <para>
/// One file per module and engine, named by the SHA-256 of (module SHA-256, Wasmtime version, engine settings hash).
/// Each file is a header (magic, the three key parts, the SHA-256 and length of the artifact) followed by the artifact.
/// Files are written to a temporary name in the same directory and renamed over the final one, so a reader sees a
/// whole file or none; a crash leaves at most a stray temporary file, removed at the next open.
/// </para>
/// <para>
/// The hash detects corruption, truncation and files from another engine; it does not authenticate the writer. That
/// is the directory's job: it must be owner-only, otherwise the cache is not used at all. Thread-safe; several
/// supervisors of the same user may share a directory.
/// </para>
/// </remarks>
internal sealed class ModuleDiskCache
{
    /// <summary>The artifact files' extension.</summary>
    internal const string Extension = ".cwasm";

    private const string TempExtension = ".tmp";

    /// <summary>The longest key part accepted in a header; real ones are at most a few dozen characters.</summary>
    private const int MaxKeyPartBytes = 256;

    private static readonly TimeSpan StaleTempAge = TimeSpan.FromMinutes(10);

    private readonly ILogger logger;
    private readonly Lock evictionGate = new();

    private ModuleDiskCache(string directory, long maxBytes, string wasmtimeVersion, string settingsHash, ILogger logger)
    {
        Directory = directory;
        MaxBytes = maxBytes;
        WasmtimeVersion = wasmtimeVersion;
        SettingsHash = settingsHash;
        this.logger = logger;
    }

    /// <summary>Gets the magic bytes that start every artifact file; the trailing digit is the format version.</summary>
    internal static ReadOnlySpan<byte> Magic => "SOCHMOD1"u8;

    /// <summary>Gets the cache directory.</summary>
    public string Directory { get; }

    /// <summary>Gets the most bytes the artifact files may take together before the least recently used are evicted.</summary>
    public long MaxBytes { get; }

    /// <summary>Gets the Wasmtime version the artifacts are for.</summary>
    public string WasmtimeVersion { get; }

    /// <summary>Gets the engine settings hash the artifacts are for.</summary>
    public string SettingsHash { get; }

    /// <summary>Opens (creating it owner-only) a cache directory.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="maxBytes">The size bound.</param>
    /// <param name="wasmtimeVersion">The Wasmtime version of the engine.</param>
    /// <param name="settingsHash">The engine settings hash.</param>
    /// <param name="logger">Where problems are logged.</param>
    /// <returns>The cache, or <see langword="null"/> when the directory cannot be used safely (logged as a warning).</returns>
    public static ModuleDiskCache? Open(string directory, long maxBytes, string wasmtimeVersion, string settingsHash, ILogger logger)
    {
        var full = Path.GetFullPath(directory);
        try
        {
            if (!System.IO.Directory.Exists(full))
            {
                // Created owner-only from the start: a chmod after creation would leave a window where another user
                // could plant a file.
                if (OperatingSystem.IsWindows())
                {
                    System.IO.Directory.CreateDirectory(full);
                }
                else
                {
                    System.IO.Directory.CreateDirectory(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            if (!OperatingSystem.IsWindows())
            {
                // An existing directory is never chmod-ed: if others could write it, files already in it are
                // untrusted, and an operator who shared it on purpose should find out rather than be overridden.
                var mode = File.GetUnixFileMode(full);
                const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
                if ((mode & groupOrOther) != 0)
                {
                    ModuleCacheLog.Unusable(logger, full, $"it must be accessible to its owner only (mode 0700) but has mode {Convert.ToString((int)mode, 8)}");
                    return null;
                }
            }

            var cache = new ModuleDiskCache(full, maxBytes, wasmtimeVersion, settingsHash, logger);
            cache.RemoveStaleTemporaries();
            ModuleCacheLog.Opened(logger, full, maxBytes);
            return cache;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            ModuleCacheLog.Unusable(logger, full, ex.Message);
            return null;
        }
    }

    /// <summary>Gets the file an artifact of a module is stored in.</summary>
    /// <param name="moduleSha256">The lower-case hex SHA-256 of the module's bytes.</param>
    /// <returns>The path.</returns>
    public string PathFor(string moduleSha256)
    {
        // The engine is part of the name so that supervisors of different versions can share a directory without
        // overwriting each other's artifacts; the header repeats it, because a name proves nothing.
        var key = SHA256.HashData(Encoding.UTF8.GetBytes($"{moduleSha256}\n{WasmtimeVersion}\n{SettingsHash}"));
        return Path.Combine(Directory, Convert.ToHexStringLower(key) + Extension);
    }

    /// <summary>Reads and verifies the artifact of a module.</summary>
    /// <param name="moduleSha256">The lower-case hex SHA-256 of the module's bytes.</param>
    /// <returns>The verified artifact, or <see langword="null"/> when there is none or it was rejected (and deleted).</returns>
    public byte[]? TryRead(string moduleSha256)
    {
        var path = PathFor(moduleSha256);
        byte[] file;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            if (info.Length > MaxBytes + HeaderLength(moduleSha256))
            {
                Reject(path, moduleSha256, $"{info.Length} bytes is more than the cache may hold");
                return null;
            }

            file = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ModuleCacheLog.MaintenanceFailed(logger, path, ex.Message);
            return null;
        }

        var problem = Verify(file, moduleSha256, out var artifact);
        if (problem is not null)
        {
            Reject(path, moduleSha256, problem);
            return null;
        }

        try
        {
            // The modification time is the recency eviction goes by.
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ModuleCacheLog.MaintenanceFailed(logger, path, ex.Message);
        }

        return artifact;
    }

    /// <summary>Writes the artifact of a module atomically, then evicts past the size bound. Failures are logged, not thrown.</summary>
    /// <param name="moduleSha256">The lower-case hex SHA-256 of the module's bytes.</param>
    /// <param name="artifact">The artifact this supervisor's engine produced.</param>
    public void Write(string moduleSha256, ReadOnlySpan<byte> artifact)
    {
        var path = PathFor(moduleSha256);
        var temp = Path.Combine(Directory, $".{Path.GetFileNameWithoutExtension(path)}.{Guid.NewGuid():N}{TempExtension}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Header(moduleSha256, artifact));
                stream.Write(artifact);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ModuleCacheLog.WriteFailed(logger, moduleSha256, ex.Message);
            TryDelete(temp);
            return;
        }

        Evict();
    }

    /// <summary>Deletes the artifact of a module that verified but that the engine still refused.</summary>
    /// <param name="moduleSha256">The lower-case hex SHA-256 of the module's bytes.</param>
    /// <param name="reason">Why, for the log.</param>
    public void Reject(string moduleSha256, string reason) => Reject(PathFor(moduleSha256), moduleSha256, reason);

    /// <summary>Checks a file's header against this cache's engine and its artifact against the recorded hash.</summary>
    /// <param name="file">The whole file.</param>
    /// <param name="moduleSha256">The module it should hold.</param>
    /// <param name="artifact">The artifact, when the file is good.</param>
    /// <returns><see langword="null"/> when the file is good; otherwise what is wrong.</returns>
    internal string? Verify(byte[] file, string moduleSha256, out byte[] artifact)
    {
        artifact = [];
        var span = file.AsSpan();
        if (!span.StartsWith(Magic))
        {
            return "not a module cache file (bad magic or another format version)";
        }

        span = span[Magic.Length..];
        string?[] parts = new string?[3];
        for (var i = 0; i < parts.Length; i++)
        {
            if (span.Length < 2)
            {
                return "truncated header";
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(span);
            span = span[2..];
            if (length > MaxKeyPartBytes || span.Length < length)
            {
                return "truncated or malformed header";
            }

            parts[i] = Encoding.UTF8.GetString(span[..length]);
            span = span[length..];
        }

        if (!string.Equals(parts[0], moduleSha256, StringComparison.Ordinal))
        {
            return $"it holds module {parts[0]}";
        }

        if (!string.Equals(parts[1], WasmtimeVersion, StringComparison.Ordinal))
        {
            return $"it was compiled by Wasmtime {parts[1]}, this supervisor runs {WasmtimeVersion}";
        }

        if (!string.Equals(parts[2], SettingsHash, StringComparison.Ordinal))
        {
            return $"it was compiled with engine settings {parts[2]}, this supervisor uses {SettingsHash}";
        }

        if (span.Length < SHA256.HashSizeInBytes + sizeof(long))
        {
            return "truncated header";
        }

        var expectedHash = span[..SHA256.HashSizeInBytes];
        var expectedLength = BinaryPrimitives.ReadInt64LittleEndian(span[SHA256.HashSizeInBytes..]);
        var body = span[(SHA256.HashSizeInBytes + sizeof(long))..];
        if (expectedLength != body.Length)
        {
            return $"the artifact has {body.Length} bytes, the header records {expectedLength}";
        }

        Span<byte> actualHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, actualHash);
        if (!CryptographicOperations.FixedTimeEquals(actualHash, expectedHash))
        {
            return "the artifact's SHA-256 does not match the header";
        }

        artifact = body.ToArray();
        return null;
    }

    /// <summary>Builds the header of an artifact file.</summary>
    /// <param name="moduleSha256">The module.</param>
    /// <param name="artifact">The artifact.</param>
    /// <returns>The header bytes.</returns>
    internal byte[] Header(string moduleSha256, ReadOnlySpan<byte> artifact)
    {
        using var header = new MemoryStream();
        header.Write(Magic);
        Span<byte> scratch = stackalloc byte[sizeof(long)];
        foreach (var part in new[] { moduleSha256, WasmtimeVersion, SettingsHash })
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            if (bytes.Length > MaxKeyPartBytes)
            {
                throw new IOException($"key part '{part}' is too long for the cache header");
            }

            BinaryPrimitives.WriteUInt16LittleEndian(scratch, (ushort)bytes.Length);
            header.Write(scratch[..2]);
            header.Write(bytes);
        }

        header.Write(SHA256.HashData(artifact));
        BinaryPrimitives.WriteInt64LittleEndian(scratch, artifact.Length);
        header.Write(scratch);
        return header.ToArray();
    }

    private int HeaderLength(string moduleSha256) => Header(moduleSha256, []).Length;

    private void Reject(string path, string moduleSha256, string reason)
    {
        ModuleCacheLog.ArtifactRejected(logger, path, moduleSha256, reason);
        TryDelete(path);
    }

    private void Evict()
    {
        lock (evictionGate)
        {
            try
            {
                var files = new DirectoryInfo(Directory).GetFiles("*" + Extension).ToList();
                var total = files.Sum(f => f.Length);
                foreach (var file in files.OrderBy(f => f.LastWriteTimeUtc))
                {
                    if (total <= MaxBytes)
                    {
                        break;
                    }

                    total -= file.Length;
                    if (TryDelete(file.FullName))
                    {
                        ModuleCacheLog.Evicted(logger, file.Name, file.Length);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ModuleCacheLog.MaintenanceFailed(logger, Directory, ex.Message);
            }
        }
    }

    private void RemoveStaleTemporaries()
    {
        // Another supervisor may be writing right now, so only temporaries old enough to be from a crash are removed.
        foreach (var file in new DirectoryInfo(Directory).GetFiles("*" + TempExtension))
        {
            if (DateTime.UtcNow - file.LastWriteTimeUtc > StaleTempAge)
            {
                TryDelete(file.FullName);
            }
        }
    }

    private bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ModuleCacheLog.MaintenanceFailed(logger, path, ex.Message);
            return false;
        }
    }
}

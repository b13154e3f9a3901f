using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace SochDb.Isolated.Supervisor.Audit;

/// <summary>
/// The audit trail of host calls: numbers each <see cref="AuditRecord"/>, appends it as one JSON line to
/// <c>audit.jsonl</c> (rotated by size) and keeps the newest records in memory for <see cref="Query"/>.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe. Appends are serialized, so lines never interleave and sequence order is file order.
/// </para>
/// <para>
/// Durability: <see cref="AppendAsync"/> completes only after the line has been handed to the operating system, so a
/// record is in the OS before the host call that produced it returns. Neither a worker crash nor a supervisor process
/// crash can lose it; only a machine crash (power loss, kernel panic) can lose the last records, unless
/// <see cref="AuditLogOptions.FlushToDisk"/> makes every append wait for the storage device. <see cref="DisposeAsync"/>
/// always flushes to the device. A write failure is never swallowed: it is thrown from <see cref="AppendAsync"/>, so
/// the caller can fail the host call closed.
/// </para>
/// <para>
/// Sequence numbers start at 1. With a <see cref="AuditLogOptions.Directory"/>, a new log continues the numbering of the
/// previous one: it reads the last record at the end of <c>audit.jsonl</c> (or of <c>audit.1.jsonl</c> when the
/// current file is missing or holds none), reading at most 64 KiB. A torn last line left by a crash is ended with a
/// newline before anything is appended, so it stays one malformed line and cannot swallow the next record.
/// <see cref="Count"/> and <see cref="Denials"/> count this log's appends only.
/// </para>
/// <para>
/// One log owns a directory at a time: <c>audit.lock</c> is held exclusively while the log is open.
/// </para>
/// </remarks>
public sealed class AuditLog : IAsyncDisposable
{
    /// <summary>The name of the file being written.</summary>
    public const string CurrentFileName = "audit.jsonl";

    /// <summary>The name of the file that keeps a second log out of the directory.</summary>
    public const string LockFileName = "audit.lock";

    /// <summary>The most records one <see cref="Query"/> returns.</summary>
    public const int MaxQueryLimit = 10_000;

    /// <summary>The longest a text field of a record may be; longer text is cut and ends with <c>…</c>.</summary>
    public const int MaxFieldChars = 1024;

    private readonly string? directory;
    private readonly long maxFileBytes;
    private readonly int maxFiles;
    private readonly bool flushToDisk;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly Lock ringLock = new();
    private readonly AuditRecord[] ring;
    private readonly ArrayBufferWriter<byte> lineBuffer = new(512);
    private readonly Utf8JsonWriter jsonWriter;
    private readonly FileStream? lockFile;
    private FileStream? stream;
    private long fileLength;
    private long lastSequence;
    private int ringStart;
    private int ringCount;
    private long count;
    private long denials;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="AuditLog"/> class and, with a directory, opens its current file.</summary>
    /// <param name="options">The options; validated here. Defaults (memory only) when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="IOException">The directory or its files cannot be created or opened, or another log holds the directory.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory or its files may not be written.</exception>
    public AuditLog(AuditLogOptions? options = null)
    {
        options ??= new AuditLogOptions();
        options.Validate();
        maxFileBytes = options.MaxFileBytes;
        maxFiles = options.MaxFiles;
        flushToDisk = options.FlushToDisk;
        ring = new AuditRecord[options.RingCapacity];
        jsonWriter = new Utf8JsonWriter(lineBuffer);
        if (options.Directory is null)
        {
            return;
        }

        directory = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(directory);
        lockFile = new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            lastSequence = AuditRecordJson.ReadLastSequence(CurrentPath(directory))
                ?? AuditRecordJson.ReadLastSequence(RotatedPath(directory, 1))
                ?? 0;
            stream = OpenCurrentFile(directory);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Gets the path of the file being written, or <see langword="null"/> in memory-only mode.</summary>
    public string? CurrentFilePath => directory is null ? null : CurrentPath(directory);

    /// <summary>Gets how many records this log has appended.</summary>
    public long Count => Interlocked.Read(ref count);

    /// <summary>Gets how many of the records this log has appended were <see cref="AuditDecision.Denied"/>.</summary>
    public long Denials => Interlocked.Read(ref denials);

    /// <summary>
    /// Numbers a record, writes it as one line and keeps it in memory. Completes only after the line is in the
    /// operating system (and on the storage device with <see cref="AuditLogOptions.FlushToDisk"/>); a record whose write
    /// failed gets no sequence number, is not counted and is not kept.
    /// </summary>
    /// <param name="record">The record; its <see cref="AuditRecord.Sequence"/> is replaced.</param>
    /// <param name="cancellationToken">
    /// Cancels waiting for the turn to write. Once writing starts it runs to the end: half a record would be worse.
    /// </param>
    /// <returns>A task that completes when the record is written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="record"/>, its plugin id or its function is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The record's decision is not an <see cref="AuditDecision"/>.</exception>
    /// <exception cref="ObjectDisposedException">The log was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before writing started.</exception>
    /// <exception cref="IOException">The record could not be written (disk full, rotation failed, …).</exception>
    /// <exception cref="UnauthorizedAccessException">The record could not be written for lack of permission.</exception>
    public async ValueTask AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.PluginId, nameof(record));
        ArgumentNullException.ThrowIfNull(record.Function, nameof(record));
        if (!Enum.IsDefined(record.Decision))
        {
            throw new ArgumentOutOfRangeException(nameof(record), record.Decision, "Unknown audit decision.");
        }

        ObjectDisposedException.ThrowIf(disposed, this);
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var numbered = Normalize(record, lastSequence + 1);
            if (directory is not null)
            {
                await WriteLineAsync(directory, numbered).ConfigureAwait(false);
            }

            lastSequence = numbered.Sequence;
            Interlocked.Increment(ref count);
            if (numbered.Decision == AuditDecision.Denied)
            {
                Interlocked.Increment(ref denials);
            }

            AddToRing(numbered);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>
    /// Returns the newest records kept in memory (at most <see cref="AuditLogOptions.RingCapacity"/>), oldest first:
    /// the last <paramref name="limit"/> that match, in sequence order.
    /// </summary>
    /// <param name="pluginId">Only this plugin's records (ordinal comparison); all when <see langword="null"/>.</param>
    /// <param name="limit">The most records to return: 1 to <see cref="MaxQueryLimit"/>.</param>
    /// <returns>The records in ascending <see cref="AuditRecord.Sequence"/>, newest last.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is out of range.</exception>
    public IReadOnlyList<AuditRecord> Query(string? pluginId = null, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxQueryLimit);
        var newestFirst = new List<AuditRecord>();
        lock (ringLock)
        {
            for (var i = ringCount - 1; i >= 0 && newestFirst.Count < limit; i--)
            {
                var record = ring[(ringStart + i) % ring.Length];
                if (pluginId is null || string.Equals(record.PluginId, pluginId, StringComparison.Ordinal))
                {
                    newestFirst.Add(record);
                }
            }
        }

        newestFirst.Reverse();
        return newestFirst;
    }

    /// <summary>Waits for appends in progress, flushes the current file to the storage device and closes it; releases the directory.</summary>
    /// <returns>A task that completes when the log is closed.</returns>
    /// <exception cref="IOException">The final flush failed; the files are closed anyway.</exception>
    public async ValueTask DisposeAsync()
    {
        await writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            try
            {
                stream?.Flush(flushToDisk: true);
            }
            finally
            {
                CloseCurrentFile();
                lockFile?.Dispose();
                await jsonWriter.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    private static string CurrentPath(string directory) => Path.Combine(directory, CurrentFileName);

    private static string RotatedPath(string directory, int index) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"audit.{index}.jsonl"));

    private static AuditRecord Normalize(AuditRecord record, long sequence) => record with
    {
        Sequence = sequence,
        Timestamp = record.Timestamp == default ? DateTimeOffset.UtcNow : record.Timestamp.ToUniversalTime(),
        PluginId = Cut(record.PluginId)!,
        Function = Cut(record.Function)!,
        Target = Cut(record.Target),
        Detail = Cut(record.Detail),
    };

    private static string? Cut(string? text)
    {
        if (text is null || text.Length <= MaxFieldChars)
        {
            return text;
        }

        var keep = MaxFieldChars - 1;
        if (char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), "…");
    }

    private async ValueTask WriteLineAsync(string directory, AuditRecord record)
    {
        lineBuffer.ResetWrittenCount();
        jsonWriter.Reset(lineBuffer);
        JsonSerializer.Serialize(jsonWriter, record, AuditRecordJson.TypeInfo);
        jsonWriter.Flush();
        lineBuffer.GetSpan(1)[0] = (byte)'\n';
        lineBuffer.Advance(1);
        var line = lineBuffer.WrittenMemory;

        var current = stream ??= OpenCurrentFile(directory);
        if (fileLength > 0 && fileLength + line.Length > maxFileBytes)
        {
            current = Rotate(directory);
        }

        try
        {
            // Unbuffered: the write goes straight to the OS, so the flush below only matters for FlushToDisk.
            await current.WriteAsync(line, CancellationToken.None).ConfigureAwait(false);
            current.Flush(flushToDisk);
        }
        catch
        {
            // Part of the line may have reached the file; reopening ends it with a newline before the next record.
            CloseCurrentFile();
            throw;
        }

        fileLength += line.Length;
    }

    private FileStream OpenCurrentFile(string directory)
    {
        var file = new FileStream(CurrentPath(directory), new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
        });
        try
        {
            fileLength = 0;
            if (file.CanSeek)
            {
                fileLength = file.Length;
                if (fileLength > 0)
                {
                    file.Position = fileLength - 1;
                    if (file.ReadByte() != '\n')
                    {
                        file.WriteByte((byte)'\n');
                        file.Flush(flushToDisk);
                        fileLength++;
                    }
                }

                file.Position = fileLength;
            }

            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private FileStream Rotate(string directory)
    {
        CloseCurrentFile();
        File.Delete(RotatedPath(directory, maxFiles));
        for (var i = maxFiles - 1; i >= 1; i--)
        {
            var from = RotatedPath(directory, i);
            if (File.Exists(from))
            {
                File.Move(from, RotatedPath(directory, i + 1));
            }
        }

        File.Move(CurrentPath(directory), RotatedPath(directory, 1));
        DeleteBeyondMaxFiles(directory);
        return stream = OpenCurrentFile(directory);
    }

    /// <summary>Deletes rotated files numbered past <see cref="AuditLogOptions.MaxFiles"/>, left by a log that kept more.</summary>
    private void DeleteBeyondMaxFiles(string directory)
    {
        foreach (var path in Directory.EnumerateFiles(directory, "audit.*.jsonl"))
        {
            var name = Path.GetFileName(path.AsSpan());
            var number = name["audit.".Length..^".jsonl".Length];
            if (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > maxFiles)
            {
                File.Delete(path);
            }
        }
    }

    private void CloseCurrentFile()
    {
        var current = stream;
        stream = null;
        current?.Dispose();
    }

    private void AddToRing(AuditRecord record)
    {
        if (ring.Length == 0)
        {
            return;
        }

        lock (ringLock)
        {
            if (ringCount < ring.Length)
            {
                ring[(ringStart + ringCount) % ring.Length] = record;
                ringCount++;
            }
            else
            {
                ring[ringStart] = record;
                ringStart = (ringStart + 1) % ring.Length;
            }
        }
    }
}

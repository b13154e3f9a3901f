namespace SochDb.Isolated.Supervisor.Audit;

/// <summary>Options of an <see cref="AuditLog"/>. Every default is safe and every value is bounded.</summary>
public sealed class AuditLogOptions
{
    /// <summary>The least <see cref="MaxFileBytes"/>: 4 KiB.</summary>
    public const long MinFileBytes = 4 * 1024;

    /// <summary>The largest <see cref="MaxFileBytes"/>: 1 GiB.</summary>
    public const long MaxFileBytesLimit = 1024L * 1024 * 1024;

    /// <summary>The most rotated files that can be kept: 1,000.</summary>
    public const int MaxFilesLimit = 1000;

    /// <summary>The largest <see cref="RingCapacity"/>: 1,000,000 records.</summary>
    public const int MaxRingCapacity = 1_000_000;

    /// <summary>
    /// Gets or sets the folder of the audit files (created when missing): the current file <c>audit.jsonl</c>, the rotated
    /// <c>audit.1.jsonl</c> (newest) … <c>audit.N.jsonl</c> (oldest), and <c>audit.lock</c>, which keeps a second log
    /// out of the folder. Default <see langword="null"/>: nothing is written to disk and records live only in memory,
    /// bounded by <see cref="RingCapacity"/> — for tests, or to opt out of an audit trail on disk.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Gets or sets the size the current file may reach (default 16 MiB; 4 KiB to 1 GiB). When the next record would take
    /// it past this, the file is rotated first; a single record larger than this still goes, alone, into a fresh file.
    /// </summary>
    public long MaxFileBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets how many rotated files are kept besides the current one (default 8; 1 to 1,000). The oldest is deleted.</summary>
    public int MaxFiles { get; set; } = 8;

    /// <summary>Gets or sets how many of the newest records are kept in memory for <see cref="AuditLog.Query"/> (default 10,000; 0 to 1,000,000).</summary>
    public int RingCapacity { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets whether every record is flushed to the storage device (fsync) before its append completes
    /// (default <see langword="false"/>). Without it a record is in the operating system before the append completes,
    /// which survives a worker or supervisor crash but not a machine crash; with it, it survives a machine crash too,
    /// at the price of one fsync per host call.
    /// </summary>
    public bool FlushToDisk { get; set; }

    /// <summary>Checks every value and throws when one is out of range.</summary>
    /// <exception cref="ArgumentException"><see cref="Directory"/> is empty or white space.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (Directory is not null && string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("The audit directory must be null (memory only) or a path.", nameof(Directory));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, MinFileBytes, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFileBytes, MaxFileBytesLimit, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFiles, 1, nameof(MaxFiles));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFiles, MaxFilesLimit, nameof(MaxFiles));
        ArgumentOutOfRangeException.ThrowIfLessThan(RingCapacity, 0, nameof(RingCapacity));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RingCapacity, MaxRingCapacity, nameof(RingCapacity));
    }
}

using System.Globalization;
using System.Text;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Audit;

public sealed class AuditLogTests
{
    private static readonly DateTimeOffset Epoch = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    [Fact]
    public async Task Append_then_Query_returns_records_numbered_1_to_n_and_the_file_holds_each_once()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        const int n = 25;
        for (var i = 0; i < n; i++)
        {
            await log.AppendAsync(Record("p1", i), CancellationToken.None).AsTask().DefaultTimeout();
        }

        var queried = log.Query(limit: 1000);
        Assert.Equal(Enumerable.Range(1, n).Select(i => (long)i), queried.Select(r => r.Sequence));
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(Record("p1", i) with { Sequence = i + 1 }, queried[i]);
        }

        Assert.Equal(n, log.Count);
        var lines = File.ReadAllLines(log.CurrentFilePath!);
        Assert.Equal(n, lines.Length);
        var file = AuditRecordJson.ReadFile(log.CurrentFilePath!);
        Assert.Equal(0, file.MalformedLines);
        Assert.Equal(queried, file.Records);
    }

    [Fact]
    public async Task Lines_are_camelCase_json_with_enum_names_and_utc_timestamps()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        var local = new DateTimeOffset(2025, 3, 4, 7, 6, 7, TimeSpan.FromHours(2)).AddTicks(1234567);
        await log.AppendAsync(Record("p1", 1, AuditDecision.Denied) with { Timestamp = local, Target = null }).AsTask().DefaultTimeout();

        var line = Assert.Single(File.ReadAllLines(log.CurrentFilePath!));
        Assert.StartsWith("{\"sequence\":1,\"timestamp\":\"2025-03-04T05:06:07.1234567Z\",\"pluginId\":\"p1\",", line, StringComparison.Ordinal);
        Assert.Contains("\"decision\":\"Denied\"", line, StringComparison.Ordinal);
        Assert.Contains("\"status\":-1", line, StringComparison.Ordinal);
        Assert.Contains("\"durationUs\":", line, StringComparison.Ordinal);
        Assert.DoesNotContain("target", line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("PluginId", line, StringComparison.Ordinal);
        var parsed = Assert.Single(AuditRecordJson.ReadFile(log.CurrentFilePath!).Records);
        Assert.Equal(TimeSpan.Zero, parsed.Timestamp.Offset);
        Assert.Equal(local, parsed.Timestamp);
    }

    [Fact]
    public async Task Rotation_keeps_at_most_MaxFiles_and_loses_or_duplicates_nothing()
    {
        using var dir = new TempDir();
        const int n = 400;
        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, MaxFileBytes = AuditLogOptions.MinFileBytes, MaxFiles = 100 }))
        {
            for (var i = 0; i < n; i++)
            {
                await log.AppendAsync(Record("p" + (i % 3), i)).AsTask().DefaultTimeout();
            }
        }

        var files = AuditFiles(dir.Path);
        Assert.True(files.Count > 5, $"expected several rotations, got {files.Count} files");
        Assert.Equal("audit.jsonl", Path.GetFileName(files[^1]));
        for (var i = 1; i < files.Count; i++)
        {
            Assert.Equal($"audit.{files.Count - i}.jsonl", Path.GetFileName(files[i - 1]));
        }

        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, AuditLogOptions.MinFileBytes));
        var sequences = files.SelectMany(f => Read(f).Records).Select(r => r.Sequence).ToList();
        Assert.Equal(Enumerable.Range(1, n).Select(i => (long)i), sequences);
    }

    [Fact]
    public async Task Rotation_deletes_the_oldest_files_beyond_MaxFiles()
    {
        using var dir = new TempDir();
        const int n = 400;
        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, MaxFileBytes = AuditLogOptions.MinFileBytes, MaxFiles = 3 }))
        {
            for (var i = 0; i < n; i++)
            {
                await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
            }
        }

        var files = AuditFiles(dir.Path);
        Assert.Equal(["audit.3.jsonl", "audit.2.jsonl", "audit.1.jsonl", "audit.jsonl"], files.Select(Path.GetFileName));
        var sequences = files.SelectMany(f => Read(f).Records).Select(r => r.Sequence).ToList();
        Assert.Equal(sequences.Count, sequences.Distinct().Count());
        Assert.Equal(n, sequences[^1]);
        Assert.Equal(Enumerable.Range((int)sequences[0], sequences.Count).Select(i => (long)i), sequences);
        Assert.True(sequences[0] > 1, "the oldest records should have been rotated away");
    }

    [Fact]
    public async Task Rotation_removes_rotated_files_left_by_a_log_that_kept_more()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "audit.7.jsonl"), string.Empty);
        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, MaxFileBytes = AuditLogOptions.MinFileBytes, MaxFiles = 2 }))
        {
            for (var i = 0; i < 100; i++)
            {
                await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
            }
        }

        Assert.Equal(["audit.2.jsonl", "audit.1.jsonl", "audit.jsonl"], AuditFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Ring_is_bounded_while_the_file_keeps_everything()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, RingCapacity = 10 });
        for (var i = 0; i < 50; i++)
        {
            await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
        }

        var kept = log.Query(limit: 1000);
        Assert.Equal(Enumerable.Range(41, 10).Select(i => (long)i), kept.Select(r => r.Sequence));
        Assert.Equal(50, log.Count);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), Read(log.CurrentFilePath!).Records.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Ring_of_zero_keeps_nothing_in_memory()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, RingCapacity = 0 });
        await log.AppendAsync(Record("p1", 0)).AsTask().DefaultTimeout();

        Assert.Empty(log.Query());
        Assert.Single(Read(log.CurrentFilePath!).Records);
    }

    [Fact]
    public async Task Query_filters_by_plugin_and_returns_the_newest_matches_oldest_first()
    {
        await using var log = new AuditLog();
        for (var i = 0; i < 30; i++)
        {
            await log.AppendAsync(Record(i % 2 == 0 ? "a" : "b", i)).AsTask().DefaultTimeout();
        }

        var a = log.Query("a", limit: 5);
        Assert.Equal([21L, 23, 25, 27, 29], a.Select(r => r.Sequence));
        Assert.All(a, r => Assert.Equal("a", r.PluginId));
        Assert.Equal(15, log.Query("b").Count);
        Assert.Empty(log.Query("c"));
        Assert.Empty(log.Query("A"));
        Assert.Equal([28L, 29, 30], log.Query(limit: 3).Select(r => r.Sequence));
        Assert.Equal(30, log.Query(limit: AuditLog.MaxQueryLimit).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Query(limit: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Query(limit: AuditLog.MaxQueryLimit + 1));
    }

    [Fact]
    public async Task Count_and_Denials_count_this_sessions_records()
    {
        await using var log = new AuditLog();
        AuditDecision[] decisions = [AuditDecision.Allowed, AuditDecision.Denied, AuditDecision.Invalid, AuditDecision.Denied, AuditDecision.UnknownFunction, AuditDecision.LimitExceeded, AuditDecision.Failed, AuditDecision.Denied];
        foreach (var decision in decisions)
        {
            await log.AppendAsync(Record("p1", 0, decision)).AsTask().DefaultTimeout();
        }

        Assert.Equal(8, log.Count);
        Assert.Equal(3, log.Denials);
    }

    [Fact]
    public async Task Concurrent_appends_get_distinct_sequences_in_file_order_without_torn_lines()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        const int tasks = 16;
        const int perTask = 200;
        using var start = new ManualResetEventSlim();
        var writers = Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            start.Wait();
            for (var i = 0; i < perTask; i++)
            {
                await log.AppendAsync(Record("plugin-" + t, i) with { Detail = new string((char)('a' + t), 50 + i) });
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(writers).DefaultTimeout();

        Assert.Equal(tasks * perTask, log.Count);
        var lines = File.ReadAllLines(log.CurrentFilePath!);
        Assert.Equal(tasks * perTask, lines.Length);
        var file = Read(log.CurrentFilePath!);
        Assert.Equal(0, file.MalformedLines);
        Assert.Equal(Enumerable.Range(1, tasks * perTask).Select(i => (long)i), file.Records.Select(r => r.Sequence));
        foreach (var group in file.Records.GroupBy(r => r.PluginId))
        {
            var t = int.Parse(group.Key["plugin-".Length..], CultureInfo.InvariantCulture);
            Assert.Equal(Enumerable.Range(0, perTask).Select(i => (long)i), group.Select(r => r.CallId));
            Assert.All(group, r => Assert.Equal(new string((char)('a' + t), 50 + (int)r.CallId), r.Detail));
        }

        Assert.Equal(file.Records.TakeLast(AuditLog.MaxQueryLimit), log.Query(limit: AuditLog.MaxQueryLimit));
    }

    [Fact]
    public async Task A_completed_append_is_readable_by_another_reader_at_once()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();

            using var reader = new FileStream(log.CurrentFilePath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var text = new StreamReader(reader, Encoding.UTF8);
            var content = await text.ReadToEndAsync();
            Assert.EndsWith("\n", content, StringComparison.Ordinal);
            var lines = content.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(i + 1, lines.Length);
            Assert.True(AuditRecordJson.TryParseLine(Encoding.UTF8.GetBytes(lines[^1]), out var last));
            Assert.Equal(Record("p1", i) with { Sequence = i + 1 }, last);
        }
    }

    [Fact]
    public async Task A_write_failure_surfaces_and_the_record_is_neither_numbered_nor_kept()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var dir = new TempDir();
        var current = Path.Combine(dir.Path, AuditLog.CurrentFileName);

        // /dev/full fails every write with ENOSPC, as a full disk does, even for root.
        File.CreateSymbolicLink(current, "/dev/full");
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });

        var error = await Assert.ThrowsAsync<IOException>(() => log.AppendAsync(Record("p1", 0)).AsTask()).DefaultTimeout();
        Assert.Contains("space", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, log.Count);
        Assert.Empty(log.Query());

        // Once the disk has room again the log reopens its file and carries on where it was.
        File.Delete(current);
        await log.AppendAsync(Record("p1", 1)).AsTask().DefaultTimeout();
        Assert.Equal(1, log.Count);
        Assert.Equal(1, Assert.Single(log.Query()).Sequence);
        Assert.Equal([1L], Read(current).Records.Select(r => r.Sequence));
    }

    [Fact]
    public async Task A_rotation_failure_surfaces_from_AppendAsync()
    {
        using var dir = new TempDir();

        // A directory where the rotated file must go cannot be deleted or replaced by a file, even by root.
        var blocker = Path.Combine(dir.Path, "audit.1.jsonl");
        Directory.CreateDirectory(blocker);
        File.WriteAllText(Path.Combine(blocker, "keep"), "x");
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, MaxFileBytes = AuditLogOptions.MinFileBytes, MaxFiles = 1 });

        Exception? error = null;
        for (var i = 0; i < 100 && error is null; i++)
        {
            try
            {
                await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = e;
            }
        }

        Assert.NotNull(error);
        var written = Read(Path.Combine(dir.Path, AuditLog.CurrentFileName)).Records;
        Assert.Equal(log.Count, written.Count);
        Assert.Equal(written, log.Query(limit: 1000));
    }

    [Fact]
    public async Task A_directory_that_is_a_file_fails_at_construction()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        Assert.Throws<IOException>(() => new AuditLog(new AuditLogOptions { Directory = file }));
        Assert.ThrowsAny<IOException>(() => new AuditLog(new AuditLogOptions { Directory = Path.Combine(file, "audit") }));
    }

    [Fact]
    public async Task A_second_log_cannot_open_the_same_directory_until_the_first_is_disposed()
    {
        using var dir = new TempDir();
        var first = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        await first.AppendAsync(Record("p1", 0)).AsTask().DefaultTimeout();

        Assert.Throws<IOException>(() => new AuditLog(new AuditLogOptions { Directory = dir.Path }));

        await first.DisposeAsync();
        await using var second = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        await second.AppendAsync(Record("p1", 1)).AsTask().DefaultTimeout();
        Assert.Equal([1L, 2], Read(second.CurrentFilePath!).Records.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Memory_only_mode_writes_nothing()
    {
        string[] candidates = [Path.Combine(Environment.CurrentDirectory, AuditLog.CurrentFileName), Path.Combine(Environment.CurrentDirectory, AuditLog.LockFileName)];
        var before = candidates.Select(Snapshot).ToList();
        await using (var log = new AuditLog(new AuditLogOptions { Directory = null }))
        {
            Assert.Null(log.CurrentFilePath);
            for (var i = 0; i < 10; i++)
            {
                await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
            }

            Assert.Equal(10, log.Count);
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), log.Query().Select(r => r.Sequence));
        }

        Assert.Equal(before, candidates.Select(Snapshot));
    }

    [Fact]
    public async Task Sequence_continues_after_a_restart_and_a_torn_last_line_stays_apart()
    {
        using var dir = new TempDir();
        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path }))
        {
            for (var i = 0; i < 5; i++)
            {
                await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
            }
        }

        var current = Path.Combine(dir.Path, AuditLog.CurrentFileName);
        await File.AppendAllTextAsync(current, "{\"sequence\":6,\"timestamp\":\"2025-");

        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path }))
        {
            await log.AppendAsync(Record("p2", 5)).AsTask().DefaultTimeout();
            Assert.Equal(6, Assert.Single(log.Query()).Sequence);
            Assert.Equal(1, log.Count);
        }

        var file = Read(current);
        Assert.Equal(1, file.MalformedLines);
        Assert.Equal([1L, 2, 3, 4, 5, 6], file.Records.Select(r => r.Sequence));
        Assert.Equal(Record("p2", 5) with { Sequence = 6 }, file.Records[^1]);
    }

    [Fact]
    public async Task Sequence_continues_from_the_newest_rotated_file_when_the_current_one_is_missing()
    {
        using var dir = new TempDir();
        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path }))
        {
            for (var i = 0; i < 3; i++)
            {
                await log.AppendAsync(Record("p1", i)).AsTask().DefaultTimeout();
            }
        }

        File.Move(Path.Combine(dir.Path, AuditLog.CurrentFileName), Path.Combine(dir.Path, "audit.1.jsonl"));
        await using (var log = new AuditLog(new AuditLogOptions { Directory = dir.Path }))
        {
            await log.AppendAsync(Record("p1", 3)).AsTask().DefaultTimeout();
            Assert.Equal(4, Assert.Single(log.Query()).Sequence);
        }
    }

    [Fact]
    public void ReadFile_skips_and_counts_malformed_lines()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "sample.jsonl");
        File.WriteAllText(path, string.Join('\n',
            "{\"sequence\":1,\"timestamp\":\"2025-03-04T05:06:07Z\",\"pluginId\":\"p\",\"function\":\"read\",\"decision\":\"Allowed\"}",
            "not json",
            "{\"sequence\":2}",
            "null",
            string.Empty,
            "{\"sequence\":3,\"timestamp\":\"2025-03-04T05:06:08Z\",\"pluginId\":\"p\",\"function\":\"nope\",\"decision\":\"UnknownFunction\",\"status\":-3}",
            "{\"sequence\":4,\"pluginId\":\"p\",\"func"));

        var file = AuditRecordJson.ReadFile(path);

        Assert.Equal(4, file.MalformedLines);
        Assert.Equal([1L, 3], file.Records.Select(r => r.Sequence));
        Assert.Equal(AuditDecision.UnknownFunction, file.Records[1].Decision);
        Assert.Equal(-3, file.Records[1].Status);
        Assert.Equal(Epoch.AddSeconds(1), file.Records[1].Timestamp);
    }

    [Fact]
    public async Task Untrusted_text_is_cut_and_cannot_break_a_line()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        var huge = new string('x', 100_000);
        await log.AppendAsync(Record("p1", 0, AuditDecision.UnknownFunction) with { Function = "evil\n{\"sequence\":99}\r\n" + huge, Target = huge, Detail = "\u001b[31m" }).AsTask().DefaultTimeout();

        var line = Assert.Single(File.ReadAllLines(log.CurrentFilePath!));
        Assert.True(line.Length < 8 * AuditLog.MaxFieldChars, $"line of {line.Length} chars");
        var record = Assert.Single(Read(log.CurrentFilePath!).Records);
        Assert.Equal(AuditLog.MaxFieldChars, record.Function.Length);
        Assert.StartsWith("evil\n{\"sequence\":99}", record.Function, StringComparison.Ordinal);
        Assert.EndsWith("…", record.Function, StringComparison.Ordinal);
        Assert.Equal(AuditLog.MaxFieldChars, record.Target!.Length);
        Assert.Equal("\u001b[31m", record.Detail);
        Assert.Equal(record, Assert.Single(log.Query()));
    }

    [Fact]
    public async Task A_default_timestamp_is_stamped_at_append()
    {
        await using var log = new AuditLog();
        var before = DateTimeOffset.UtcNow;
        await log.AppendAsync(Record("p1", 0) with { Timestamp = default }).AsTask().DefaultTimeout();
        var after = DateTimeOffset.UtcNow;

        Assert.InRange(Assert.Single(log.Query()).Timestamp, before, after);
    }

    [Fact]
    public async Task Invalid_records_are_refused_without_using_a_sequence()
    {
        await using var log = new AuditLog();

        await Assert.ThrowsAsync<ArgumentNullException>(() => log.AppendAsync(null!).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ArgumentNullException>(() => log.AppendAsync(Record("p1", 0) with { PluginId = null! }).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ArgumentNullException>(() => log.AppendAsync(Record("p1", 0) with { Function = null! }).AsTask()).DefaultTimeout();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => log.AppendAsync(Record("p1", 0) with { Decision = (AuditDecision)42 }).AsTask()).DefaultTimeout();
        await log.AppendAsync(Record("p1", 0)).AsTask().DefaultTimeout();

        Assert.Equal(1, Assert.Single(log.Query()).Sequence);
    }

    [Fact]
    public async Task A_canceled_append_writes_nothing()
    {
        using var dir = new TempDir();
        await using var log = new AuditLog(new AuditLogOptions { Directory = dir.Path });
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => log.AppendAsync(Record("p1", 0), canceled.Token).AsTask()).DefaultTimeout();
        await log.AppendAsync(Record("p1", 1)).AsTask().DefaultTimeout();

        Assert.Equal([1L], Read(log.CurrentFilePath!).Records.Select(r => r.Sequence));
        Assert.Equal(1, log.Count);
    }

    [Fact]
    public async Task Appends_after_dispose_are_refused_and_dispose_is_idempotent()
    {
        using var dir = new TempDir();
        var log = new AuditLog(new AuditLogOptions { Directory = dir.Path, FlushToDisk = true });
        await log.AppendAsync(Record("p1", 0)).AsTask().DefaultTimeout();
        await log.DisposeAsync();
        await log.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(Record("p1", 1)).AsTask()).DefaultTimeout();
        Assert.Single(log.Query());
        Assert.Single(Read(Path.Combine(dir.Path, AuditLog.CurrentFileName)).Records);
    }

    [Fact]
    public void Options_have_bounded_defaults()
    {
        var options = new AuditLogOptions();
        options.Validate();

        Assert.Null(options.Directory);
        Assert.Equal(16 * 1024 * 1024, options.MaxFileBytes);
        Assert.Equal(8, options.MaxFiles);
        Assert.Equal(10_000, options.RingCapacity);
        Assert.False(options.FlushToDisk);
    }

    [Theory]
    [InlineData("MaxFileBytes", 4095L)]
    [InlineData("MaxFileBytes", (1024L * 1024 * 1024) + 1)]
    [InlineData("MaxFiles", 0L)]
    [InlineData("MaxFiles", 1001L)]
    [InlineData("RingCapacity", -1L)]
    [InlineData("RingCapacity", 1_000_001L)]
    public void Options_out_of_range_are_refused(string name, long value)
    {
        var options = new AuditLogOptions();
        switch (name)
        {
            case "MaxFileBytes": options.MaxFileBytes = value; break;
            case "MaxFiles": options.MaxFiles = (int)value; break;
            default: options.RingCapacity = (int)value; break;
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditLog(options));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void An_empty_directory_is_refused(string directory)
    {
        Assert.Throws<ArgumentException>(() => new AuditLog(new AuditLogOptions { Directory = directory }));
    }

    [Fact]
    public void Options_at_their_bounds_are_accepted()
    {
        new AuditLogOptions { MaxFileBytes = AuditLogOptions.MinFileBytes, MaxFiles = 1, RingCapacity = 0 }.Validate();
        new AuditLogOptions { MaxFileBytes = AuditLogOptions.MaxFileBytesLimit, MaxFiles = AuditLogOptions.MaxFilesLimit, RingCapacity = AuditLogOptions.MaxRingCapacity }.Validate();
    }

    private static AuditRecord Record(string pluginId, int i, AuditDecision decision = AuditDecision.Allowed) => new()
    {
        Timestamp = Epoch.AddMilliseconds(i),
        PluginId = pluginId,
        Generation = 2,
        CallId = i,
        Function = "write",
        Target = "table-" + i.ToString(CultureInfo.InvariantCulture),
        Decision = decision,
        Status = decision == AuditDecision.Allowed ? 0 : -1,
        RowsAffected = 1,
        BytesIn = 10 + i,
        BytesOut = 0,
        DurationUs = 42,
        Detail = decision == AuditDecision.Allowed ? null : "no capability",
    };

    private static (bool Exists, long Length, DateTime Written) Snapshot(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (true, info.Length, info.LastWriteTimeUtc) : (false, 0, default);
    }

    private static AuditFileContents Read(string path) => AuditRecordJson.ReadFile(path);

    /// <summary>The audit files of a directory, oldest first.</summary>
    private static List<string> AuditFiles(string directory) =>
        [.. Directory.GetFiles(directory, "audit*.jsonl")
            .OrderByDescending(f => Path.GetFileName(f) == AuditLog.CurrentFileName ? -1 : int.Parse(Path.GetFileName(f).Split('.')[1], CultureInfo.InvariantCulture))];

    private sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sochdb-audit-test-" + Guid.NewGuid().ToString("N"));
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
}

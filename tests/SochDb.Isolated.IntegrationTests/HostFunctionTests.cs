using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>Host API v1 against real worker processes: every call checked, executed on the real store, audited.</summary>
public sealed class HostFunctionTests : SupervisorTestBase
{
    /// <summary>Reads and writes of table <c>items</c>, vector search, one config key; <c>get</c> and <c>put</c> signatures.</summary>
    internal const string Grants = """
        [capabilities]
        can_read_table = ["items"]
        can_write_table = ["items"]
        can_vector_search = true

        [config]
        greeting = "hello"

        [exports]
        functions = ["get", "put"]
        [exports.signatures.get]
        params = ["i64"]
        returns = ["bytes"]
        [exports.signatures.put]
        params = ["i64", "bytes"]
        returns = ["i32"]
        """;

    /// <summary>Generous deadlines: these tests are about authority, not time, and a loaded CI box is slow.</summary>
    internal const string Roomy = "memory_limit_mb = 2\ntimeout_ms = 10000\nfuel_limit = 10_000_000";

    private static readonly byte[] Host = Fixtures.Wasm("host");

    [Fact]
    public async Task WriteThenRead_GrantedTable_RoundTripsThroughTheStore()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        var put = await supervisor.InvokeAsync("p", "put", [PluginValue.I64(7), PluginValue.Bytes("row seven"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.Ok, put.Values[0].AsI32());
        Assert.Equal(1, put.Receipt.HostCalls);
        var store = await supervisor.GetStoreAsync();
        Assert.Equal("row seven"u8.ToArray(), await store.ReadAsync("items", 7, CancellationToken.None));
        var get = await supervisor.InvokeAsync("p", "get", [PluginValue.I64(7)]).DefaultTimeout();
        Assert.Equal("row seven", Encoding.UTF8.GetString(get.Values[0].AsBytes()!.Value.Span));
        Assert.Equal(9, put.Receipt.HostBytesIn);
        Assert.Equal(0, put.Receipt.HostBytesOut);
        Assert.Equal(9, get.Receipt.HostBytesOut);
        Assert.True(get.Receipt.HostTime > TimeSpan.Zero);
        Assert.True(get.Receipt.HostTime < get.Receipt.RoundTrip);
    }

    [Fact]
    public async Task Read_MissingRow_ReturnsNotFound()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        var raw = await supervisor.InvokeAsync("p", "get_raw", [PluginValue.I64(404)]).DefaultTimeout();
        Assert.Equal(HostStatus.NotFound, raw.Values[0].AsI64());
    }

    [Fact]
    public async Task ReadAndWrite_UngrantedTable_AreDeniedAndAudited()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        var store = await supervisor.GetStoreAsync();
        await store.WriteAsync("secrets", 1, "top secret"u8.ToArray(), CancellationToken.None);
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("p", "steal", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI64());
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("p", "vandalize", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI32());
        Assert.Equal("top secret"u8.ToArray(), await store.ReadAsync("secrets", 1, CancellationToken.None));
        var denied = supervisor.QueryAudit("p").Where(r => r.Decision == AuditDecision.Denied).ToList();
        Assert.Equal(2, denied.Count);
        Assert.All(denied, r => Assert.Equal("secrets", r.Target));
        Assert.Equal(["read", "write"], denied.Select(r => r.Function));
        Assert.Equal(2, supervisor.GetPluginStats("p").CapabilityDenials);
        Assert.Equal(2, supervisor.GetRuntimeStats().CapabilityDenials);
    }

    [Fact]
    public async Task ReadOnlyGrant_DoesNotImplyWrite()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest("[capabilities]\ncan_read_table = [\"items\"]", resources: Roomy)).DefaultTimeout();
        var put = await supervisor.InvokeAsync("p", "put", [PluginValue.I64(1), PluginValue.I32(0), PluginValue.I32(0)]).DefaultTimeout();
        Assert.Equal(HostStatus.Denied, put.Values[0].AsI32());
    }

    [Fact]
    public async Task PrefixPattern_GrantsMatchingTablesOnly()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest("[capabilities]\ncan_read_table = [\"ite*\"]", resources: Roomy)).DefaultTimeout();
        Assert.Equal(HostStatus.NotFound, (await supervisor.InvokeAsync("p", "get_raw", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI64());
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("p", "steal", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI64());
    }

    [Fact]
    public async Task DeleteAndScan_WorkOnTheStore()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        var store = await supervisor.GetStoreAsync();
        for (var i = 1; i <= 5; i++)
        {
            await store.WriteAsync("items", i, new byte[] { (byte)i }, CancellationToken.None);
        }

        Assert.Equal(HostStatus.Ok, (await supervisor.InvokeAsync("p", "del", [PluginValue.I64(3)]).DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(HostStatus.NotFound, (await supervisor.InvokeAsync("p", "del", [PluginValue.I64(3)]).DefaultTimeout()).Values[0].AsI32());
        var packed = (await supervisor.InvokeAsync("p", "scan_items", [PluginValue.I64(2), PluginValue.I32(10)]).DefaultTimeout()).Values[0].AsI64()!.Value;
        Assert.True(packed > 0);
        var audit = supervisor.QueryAudit("p").Single(r => r.Function == "scan");
        Assert.Equal(3, audit.RowsAffected);
        Assert.Equal(4 + (3 * 13), audit.BytesOut);
    }

    [Fact]
    public async Task VectorSearch_Granted_ReturnsNearestFirst_AndDeniedWithoutGrant()
    {
        var supervisor = CreateSupervisor();
        var store = await supervisor.GetStoreAsync();
        await store.PutVectorAsync("vecs", 1, new float[] { 0, 1, 0 }, VectorMetric.Cosine, CancellationToken.None);
        await store.PutVectorAsync("vecs", 2, new float[] { 1, 0.1f, 0 }, VectorMetric.Cosine, CancellationToken.None);
        await store.PutVectorAsync("vecs", 3, new float[] { -1, 0, 0 }, VectorMetric.Cosine, CancellationToken.None);
        await supervisor.LoadAsync("granted", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        await supervisor.LoadAsync("denied", Host, Manifest(resources: Roomy)).DefaultTimeout();
        Assert.True((await supervisor.InvokeAsync("granted", "search", [PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI64() > 0);
        var record = supervisor.QueryAudit("granted").Single(r => r.Function == "vector_search");
        Assert.Equal(2, record.RowsAffected);
        Assert.Equal(24, record.BytesOut);
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("denied", "search", [PluginValue.I32(2)]).DefaultTimeout()).Values[0].AsI64());
    }

    [Fact]
    public async Task IndexLookup_NeedsCanIndexSearch_AndReturnsTheRowIds()
    {
        var supervisor = CreateSupervisor();
        await supervisor.PutIndexEntryAsync("by_email", "ada@x"u8.ToArray(), 7);
        await supervisor.PutIndexEntryAsync("by_email", "ada@x"u8.ToArray(), 3);
        await supervisor.PutIndexEntryAsync("by_email", "bob@x"u8.ToArray(), 9);
        await supervisor.LoadAsync("granted", Host, Manifest("[capabilities]\ncan_index_search = true", resources: Roomy)).DefaultTimeout();
        await supervisor.LoadAsync("denied", Host, Manifest(resources: Roomy)).DefaultTimeout();
        var packed = (await supervisor.InvokeAsync("granted", "lookup_key", [PluginValue.I32(10)]).DefaultTimeout()).Values[0].AsI64()!.Value;
        Assert.Equal(4 + (2 * 8), packed & 0xFFFFFFFF);
        var record = supervisor.QueryAudit("granted").Single();
        Assert.Equal(("index_lookup", "by_email", 2L), (record.Function, record.Target, record.RowsAffected));
        Assert.Equal([3L, 7L], await supervisor.LookupIndexAsync("by_email", "ada@x"u8.ToArray(), 10));
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("denied", "lookup_key", [PluginValue.I32(10)]).DefaultTimeout()).Values[0].AsI64());
        Assert.Equal(AuditDecision.Denied, supervisor.QueryAudit("denied").Single().Decision);
    }

    [Fact]
    public async Task GetConfigAndEmitMetric_Work()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        var config = (await supervisor.InvokeAsync("p", "config").DefaultTimeout()).Values[0].AsI64()!.Value;
        Assert.True(config > 0, $"get_config returned {config}; audit: {string.Join(" | ", supervisor.QueryAudit("p").Select(r => $"{r.Function} {r.Decision} {r.Status} {r.Detail}"))}; {string.Join(" | ", Logs.Entries.Where(e => e.Message.Contains("rejected", StringComparison.Ordinal)).Select(e => e.Message))}");
        Assert.Equal(5, config & 0xFFFFFFFF);
        Assert.Equal(HostStatus.NotFound, (await supervisor.InvokeAsync("p", "missing_config").DefaultTimeout()).Values[0].AsI64());
        Assert.Equal(HostStatus.Ok, (await supervisor.InvokeAsync("p", "metric").DefaultTimeout()).Values[0].AsI32());
        await supervisor.InvokeAsync("p", "metric").DefaultTimeout();
        var metric = supervisor.GetPluginMetrics("p")["rows_seen"];
        Assert.Equal(MetricKind.Counter, metric.Kind);
        Assert.Equal(2, metric.Count);
        Assert.Equal(5.0, metric.Value);
    }

    [Fact]
    public async Task BadPointer_IsInvalidArgumentsAndAudited()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        Assert.Equal(HostStatus.InvalidArguments, (await supervisor.InvokeAsync("p", "bad_pointer").DefaultTimeout()).Values[0].AsI64());
        Assert.Equal(AuditDecision.Invalid, supervisor.QueryAudit("p").Single().Decision);
    }

    [Fact]
    public async Task HostCallLimit_ReturnsLimitExceededPastTheBudget()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy + "\nmax_host_calls = 5")).DefaultTimeout();
        var limited = await supervisor.InvokeAsync("p", "chatty", [PluginValue.I32(8)]).DefaultTimeout();
        Assert.Equal(3, limited.Values[0].AsI32());
        Assert.Equal(3, supervisor.QueryAudit("p").Count(r => r.Decision == AuditDecision.LimitExceeded));

        // The budget is per call: the next call starts afresh.
        Assert.Equal(0, (await supervisor.InvokeAsync("p", "chatty", [PluginValue.I32(5)]).DefaultTimeout()).Values[0].AsI32());
    }

    [Fact]
    public async Task ByteAndRowBudgets_ReturnLimitExceededPastThem()
    {
        var supervisor = CreateSupervisor();
        var store = await supervisor.GetStoreAsync();
        for (var i = 1; i <= 5; i++)
        {
            await store.WriteAsync("items", i, "123456789"u8.ToArray(), CancellationToken.None);
        }

        await supervisor.LoadAsync("in", Host, Manifest(Grants, resources: Roomy + "\nmax_host_input_bytes = 4")).DefaultTimeout();
        Assert.Equal(HostStatus.LimitExceeded, (await supervisor.InvokeAsync("in", "put", [PluginValue.I64(9), PluginValue.Bytes("12345"u8)]).DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(HostStatus.Ok, (await supervisor.InvokeAsync("in", "put", [PluginValue.I64(9), PluginValue.Bytes("1234"u8)]).DefaultTimeout()).Values[0].AsI32());

        await supervisor.LoadAsync("out", Host, Manifest(Grants, resources: Roomy + "\nmax_host_output_bytes = 8")).DefaultTimeout();
        Assert.Equal(HostStatus.LimitExceeded, (await supervisor.InvokeAsync("out", "get_raw", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI64());

        await supervisor.LoadAsync("rows", Host, Manifest(Grants, resources: Roomy + "\nmax_scan_rows = 2")).DefaultTimeout();
        Assert.True((await supervisor.InvokeAsync("rows", "scan_items", [PluginValue.I64(0), PluginValue.I32(10)]).DefaultTimeout()).Values[0].AsI64() > 0);
        Assert.Equal(2, supervisor.QueryAudit("rows").Single().RowsAffected);
        Assert.All(supervisor.QueryAudit("in").Take(1), r => Assert.Equal(AuditDecision.LimitExceeded, r.Decision));
    }

    [Fact]
    public async Task Log_GoesToSupervisorLogUnderPluginIdAndIsAudited()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("talker", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        await supervisor.InvokeAsync("talker", "say").DefaultTimeout();
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1012 && e.Message == "[talker] hook says hi");
        Assert.Equal("log", supervisor.QueryAudit("talker").Single().Function);
    }

    [Fact]
    public async Task Audit_EveryHostCallHasOneRecordWithCallIdAndGeneration()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
        await supervisor.InvokeAsync("p", "chatty", [PluginValue.I32(4)]).DefaultTimeout();
        await supervisor.InvokeAsync("p", "steal", [PluginValue.I64(1)]).DefaultTimeout();
        var records = supervisor.QueryAudit("p");
        Assert.Equal(5, records.Count);
        Assert.Equal(2, records.Select(r => r.CallId).Distinct().Count());
        Assert.All(records, r => Assert.Equal(1, r.Generation));
        Assert.Equal(5, supervisor.GetPluginStats("p").HostCalls);
        // Four reads of a missing row (-2) and one denied read (-1): every negative status counts as an error.
        Assert.Equal(5, supervisor.GetPluginStats("p").HostCallErrors);
        var runtime = supervisor.GetRuntimeStats();
        Assert.Equal((5, 5, 5), (runtime.HostCalls, runtime.HostCallErrors, runtime.AuditRecords));
    }

    [Fact]
    public async Task RogueWorker_ForbiddenHostCalls_AreAllDeniedAndAudited()
    {
        var supervisor = CreateSupervisor(o => o.WorkerPath = Path.Combine(AppContext.BaseDirectory, "SochDb.Isolated.RogueWorker.dll"));
        await supervisor.LoadAsync("rogue", Fixtures.Wasm("basic"), Manifest("[capabilities]\ncan_read_table = [\"items\"]")).DefaultTimeout();
        var store = await supervisor.GetStoreAsync();
        await store.WriteAsync("secrets", 1, "keep out"u8.ToArray(), CancellationToken.None);
        var result = await supervisor.InvokeAsync("rogue", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(
            [HostStatus.Denied, HostStatus.Denied, HostStatus.Denied, HostStatus.Denied, HostStatus.NotFound, HostStatus.Denied],
            result.Values.Select(v => v.AsI32()!.Value));
        var records = supervisor.QueryAudit("rogue");
        Assert.Equal(6, records.Count);
        Assert.Equal(5, records.Count(r => r.Decision == AuditDecision.Denied));
        Assert.Equal(1, records.Count(r => r.Decision == AuditDecision.UnknownFunction));
        Assert.Equal("keep out"u8.ToArray(), await store.ReadAsync("secrets", 1, CancellationToken.None));
    }

    [Fact]
    public async Task HostCallsOutsideACall_AreDenied()
    {
        // A host call that names no call in flight (stale or forged) is refused; the rogue's last attempt proves it
        // for a forged id, and this proves it for one that arrives when nothing runs.
        var supervisor = CreateSupervisor(o => o.WorkerPath = Path.Combine(AppContext.BaseDirectory, "SochDb.Isolated.RogueWorker.dll"));
        await supervisor.LoadAsync("rogue", Fixtures.Wasm("basic"), Manifest("[capabilities]\ncan_read_table = [\"items\"]")).DefaultTimeout();
        var result = await supervisor.InvokeAsync("rogue", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(HostStatus.Denied, result.Values[^1].AsI32());
        Assert.Contains("no plugin call is in flight", supervisor.QueryAudit("rogue")[^1].Detail ?? supervisor.QueryAudit("rogue")[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_ModuleImportingBufferFunctionWithoutAlloc_IsInvalidWasm()
    {
        var wasm = Wasmtime.Module.ConvertText("(module (import \"sochdb\" \"read\" (func (param i32 i32 i64) (result i64))) (memory (export \"memory\") 1))").ToArray();
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.LoadAsync("p", wasm, Manifest())).DefaultTimeout();
        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("soch_alloc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowHostCall_PastTheDeadline_FailsTheCallWithTimeout()
    {
        await using var slow = new SlowStore(TimeSpan.FromSeconds(30));
        var supervisor = CreateSupervisor(hostContext: slow);
        await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: "timeout_ms = 300\nfuel_limit = 10_000_000")).DefaultTimeout();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<PluginTimeoutException>(() => supervisor.InvokeAsync("p", "get_raw", [PluginValue.I64(1)])).DefaultTimeout();
        Assert.False(ex.WorkerKilled);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        var record = supervisor.QueryAudit("p").Single();
        Assert.Equal(HostStatus.Timeout, record.Status);
        Assert.True(slow.Cancelled, "the host work was not given the call's remaining time as its cancellation");
    }

    [Fact]
    public async Task WorkerKilledDuringHostWrite_LosesNoAuditRecordAndLeavesTheStoreConsistent()
    {
        var data = Directory.CreateTempSubdirectory("sochdb-kill-");
        try
        {
            await using var inner = await SqliteHostContext.OpenAsync(Path.Combine(data.FullName, "store"), CancellationToken.None);
            var gated = new GatedStore(inner);
            var supervisor = CreateSupervisor(o => o.Audit = new AuditLogOptions { Directory = Path.Combine(data.FullName, "audit") }, gated);
            var info = await supervisor.LoadAsync("p", Host, Manifest(Grants, resources: Roomy)).DefaultTimeout();
            var call = supervisor.InvokeAsync("p", "put", [PluginValue.I64(5), PluginValue.Bytes("five"u8)]);
            await gated.WriteEntered.Task.DefaultTimeout();
            using (var worker = System.Diagnostics.Process.GetProcessById(info.WorkerPid!.Value))
            {
                worker.Kill();
                await worker.WaitForExitAsync().DefaultTimeout();
            }

            await Assert.ThrowsAsync<WorkerCrashedException>(() => call).DefaultTimeout();
            gated.Release.SetResult();
            await gated.WriteFinished.Task.DefaultTimeout();

            // Exactly one record for the write, on disk, and the store agrees with what it says. The router audits
            // right after the store returns, so give it a moment.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (supervisor.QueryAudit("p").Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            var record = Assert.Single(supervisor.QueryAudit("p"));
            Assert.Equal("write", record.Function);
            var row = await inner.ReadAsync("items", 5, CancellationToken.None);
            if (record.Status == HostStatus.Ok)
            {
                Assert.Equal("five"u8.ToArray(), row);
            }
            else
            {
                Assert.Null(row);
            }

            var lines = await File.ReadAllLinesAsync(Path.Combine(data.FullName, "audit", "audit.jsonl"));
            Assert.Single(lines);
            Assert.Contains("\"function\":\"write\"", lines[0], StringComparison.Ordinal);

            // The plugin is replaced and keeps working.
            var again = await supervisor.InvokeAsync("p", "get_raw", [PluginValue.I64(404)]).DefaultTimeout();
            Assert.Equal(HostStatus.NotFound, again.Values[0].AsI64());
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    /// <summary>Holds writes at a gate so a test can act while the supervisor is inside a host call.</summary>
    private sealed class GatedStore(IHostContext inner) : IHostContext
    {
        public TaskCompletionSource WriteEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource WriteFinished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<byte[]?> ReadAsync(string table, long rowId, CancellationToken cancellationToken) => inner.ReadAsync(table, rowId, cancellationToken);

        public async ValueTask<bool> WriteAsync(string table, long rowId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            WriteEntered.TrySetResult();
            try
            {
                await Release.Task;
                return await inner.WriteAsync(table, rowId, data, CancellationToken.None);
            }
            finally
            {
                WriteFinished.TrySetResult();
            }
        }

        public ValueTask<bool> DeleteAsync(string table, long rowId, CancellationToken cancellationToken) => inner.DeleteAsync(table, rowId, cancellationToken);

        public ValueTask<IReadOnlyList<StoredRow>> ScanAsync(string table, long startRow, int limit, CancellationToken cancellationToken) => inner.ScanAsync(table, startRow, limit, cancellationToken);

        public ValueTask PutVectorAsync(string index, long rowId, ReadOnlyMemory<float> vector, VectorMetric metric, CancellationToken cancellationToken) => inner.PutVectorAsync(index, rowId, vector, metric, cancellationToken);

        public ValueTask<bool> PutIndexEntryAsync(string index, ReadOnlyMemory<byte> key, long rowId, bool remove, CancellationToken cancellationToken) => inner.PutIndexEntryAsync(index, key, rowId, remove, cancellationToken);

        public ValueTask<IReadOnlyList<long>> LookupIndexAsync(string index, ReadOnlyMemory<byte> key, int limit, CancellationToken cancellationToken) => inner.LookupIndexAsync(index, key, limit, cancellationToken);

        public ValueTask<IReadOnlyList<VectorHit>> SearchAsync(string index, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken) => inner.SearchAsync(index, query, topK, cancellationToken);
    }

    /// <summary>A host context whose reads take their time, honouring cancellation.</summary>
    private sealed class SlowStore(TimeSpan delay) : IHostContext, IAsyncDisposable
    {
        public bool Cancelled { get; private set; }

        public async ValueTask<byte[]?> ReadAsync(string table, long rowId, CancellationToken cancellationToken)
        {
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled = true;
                throw;
            }

            return null;
        }

        public ValueTask<bool> WriteAsync(string table, long rowId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask<bool> DeleteAsync(string table, long rowId, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask<IReadOnlyList<StoredRow>> ScanAsync(string table, long startRow, int limit, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<StoredRow>>([]);

        public ValueTask PutVectorAsync(string index, long rowId, ReadOnlyMemory<float> vector, VectorMetric metric, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<bool> PutIndexEntryAsync(string index, ReadOnlyMemory<byte> key, long rowId, bool remove, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask<IReadOnlyList<long>> LookupIndexAsync(string index, ReadOnlyMemory<byte> key, int limit, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<long>>([]);

        public ValueTask<IReadOnlyList<VectorHit>> SearchAsync(string index, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<VectorHit>>([]);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

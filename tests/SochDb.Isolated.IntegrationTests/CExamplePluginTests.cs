using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>
/// The C example plugins (<c>examples/c-*</c>), compiled from source with clang by <c>examples/build-c.sh</c> and
/// loaded from their manifests: the C SDK (<c>sdk/c/sochdb.h</c>) against real workers and the real store. Skipped,
/// with the reason, when clang or wasm-ld is not installed.
/// </summary>
public sealed class CExamplePluginTests : SupervisorTestBase
{
    [SkippableFact]
    public async Task PiiMask_MasksEveryAddressInTheRow_AndLogs()
    {
        var manifest = CExamples.Manifest("c-pii-mask");
        var supervisor = CreateSupervisor();
        await supervisor.LoadFromManifestAsync("mask", manifest).DefaultTimeout();
        var row = "to: alice@example.com, cc bob.smith+x@mail.example.org; @nobody, a@b"u8;
        var result = await supervisor.InvokeAsync("mask", "mask_row", [PluginValue.Bytes(row)]).DefaultTimeout();
        Assert.Equal(
            "to: a****@example.com, cc b**********@mail.example.org; @nobody, a@b",
            Encoding.UTF8.GetString(result.Values[0].AsBytes()!.Value.Span));
        Assert.Contains(Logs.Entries, e => e.Message == "[mask] masked 3 address(es)");
        Assert.Equal("log", supervisor.QueryAudit("mask").Single().Function);
    }

    [SkippableFact]
    public async Task PiiMask_AsBeforeInsertHook_MasksRowsBeforeTheyAreStored()
    {
        var manifest = CExamples.Manifest("c-pii-mask");
        var supervisor = CreateSupervisor();
        await supervisor.LoadFromManifestAsync("mask", manifest).DefaultTimeout();
        await supervisor.WriteRowAsync("customers", 1, "Ada <ada.lovelace@example.com>"u8.ToArray()).DefaultTimeout();
        Assert.Equal("Ada <a***********@example.com>", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("customers", 1).DefaultTimeout())!));
        await supervisor.WriteRowAsync("customers", 1, "now bob@example.org"u8.ToArray()).DefaultTimeout();
        Assert.Equal("now b**@example.org", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("customers", 1).DefaultTimeout())!));

        // Tables outside [hooks] tables are left alone.
        await supervisor.WriteRowAsync("notes", 1, "carol@example.com"u8.ToArray()).DefaultTimeout();
        Assert.Equal("carol@example.com", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("notes", 1).DefaultTimeout())!));
    }

    [SkippableFact]
    public async Task PiiMask_ManyCallsPastTheMemoryLimit_ReuseFreedBuffers()
    {
        // 100 rows of 32 KiB pass through a 1 MiB memory: only if soch_free gives each argument buffer back.
        var manifest = CExamples.Manifest("c-pii-mask");
        var supervisor = CreateSupervisor();
        await supervisor.LoadFromManifestAsync("mask", manifest).DefaultTimeout();
        var row = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("mail carol@example.net now. ", 32 * 1024 / 28)));
        for (var i = 0; i < 100; i++)
        {
            var result = await supervisor.InvokeAsync("mask", "mask_row", [PluginValue.Bytes(row)]).DefaultTimeout();
            Assert.Equal(row.Length, result.Values[0].AsBytes()!.Value.Length);
        }

        var masked = (await supervisor.InvokeAsync("mask", "mask_row", [PluginValue.Bytes(row)]).DefaultTimeout()).Values[0].AsBytes()!.Value;
        Assert.StartsWith("mail c****@example.net now. ", Encoding.UTF8.GetString(masked.Span), StringComparison.Ordinal);
        Assert.True(supervisor.ListPlugins().Single().MemoryUsedBytes <= 256 * 1024, "memory grew with the number of calls");
    }

    [SkippableFact]
    public async Task Reranker_BoostsRowsWithTheKeyword_DropsMissingRows_AndReturnsTopK()
    {
        var manifest = CExamples.Manifest("c-reranker");
        var supervisor = CreateSupervisor();

        // Nearest first by vector alone: 1, 5, 2, 3, 4. Rows 2 and 3 mention "wasm" (boost 0.5); row 5 has no row.
        await supervisor.PutVectorAsync("docs", 1, new float[] { 1, 0, 0 }, VectorMetric.Cosine).DefaultTimeout();
        await supervisor.PutVectorAsync("docs", 2, new float[] { 0.9f, 0.1f, 0 }, VectorMetric.Cosine).DefaultTimeout();
        await supervisor.PutVectorAsync("docs", 3, new float[] { 0.5f, 0.5f, 0 }, VectorMetric.Cosine).DefaultTimeout();
        await supervisor.PutVectorAsync("docs", 4, new float[] { 0, 1, 0 }, VectorMetric.Cosine).DefaultTimeout();
        await supervisor.PutVectorAsync("docs", 5, new float[] { 0.95f, 0.05f, 0 }, VectorMetric.Cosine).DefaultTimeout();
        await supervisor.WriteRowAsync("docs", 1, "plain text about databases"u8.ToArray()).DefaultTimeout();
        await supervisor.WriteRowAsync("docs", 2, "sandboxing plugins with wasm"u8.ToArray()).DefaultTimeout();
        await supervisor.WriteRowAsync("docs", 3, "wasm, wasm and more wasm"u8.ToArray()).DefaultTimeout();
        await supervisor.WriteRowAsync("docs", 4, "wasm but far away"u8.ToArray()).DefaultTimeout();
        await supervisor.LoadFromManifestAsync("rerank", manifest).DefaultTimeout();

        var top3 = await RerankAsync(supervisor, [1, 0, 0], 3);
        Assert.Equal([2UL, 3UL, 1UL], top3.Select(h => h.RowId));
        Assert.Equal(0.5 + (0.9 / Math.Sqrt(0.82)), top3[0].Score, 1e-4);
        Assert.Equal(0.5 + Math.Sqrt(0.5), top3[1].Score, 1e-4);
        Assert.Equal(1.0, top3[2].Score, 1e-4);

        var top1 = await RerankAsync(supervisor, [1, 0, 0], 1);
        Assert.Equal([2UL], top1.Select(h => h.RowId));

        // Each call: two config reads, one search for 4 * top_k, a read per hit (row 5's is NotFound), one metric with
        // the rows kept. The second call (top_k 1) asked for 4 hits: rows 1, 5, 2, 3.
        var audit = supervisor.QueryAudit("rerank");
        var search = audit.Where(r => r.Function == "vector_search").ToList();
        Assert.Equal(2, search.Count);
        Assert.All(search, r => Assert.Equal(("docs", AuditDecision.Allowed), (r.Target, r.Decision)));
        var reads = audit.Where(r => r.Function == "read").ToList();
        Assert.Equal(5 + 4, reads.Count);
        Assert.All(reads, r => Assert.Equal("docs", r.Target));
        Assert.Equal(2, reads.Count(r => r.Status == HostStatus.NotFound));
        Assert.Equal(4, audit.Count(r => r.Function == "get_config" && r.Status == HostStatus.Ok));
        var metric = supervisor.GetPluginMetrics("rerank")["rerank_candidates"];
        Assert.Equal(MetricKind.Histogram, metric.Kind);
        Assert.Equal(3, metric.Last);
    }

    [SkippableFact]
    public async Task Reranker_BadQuery_ReturnsEmptyWithoutHostCalls()
    {
        var manifest = CExamples.Manifest("c-reranker");
        var supervisor = CreateSupervisor();
        await supervisor.LoadFromManifestAsync("rerank", manifest).DefaultTimeout();
        var result = await supervisor.InvokeAsync("rerank", "rerank", [PluginValue.Bytes([1, 2, 3]), PluginValue.I32(3)]).DefaultTimeout();
        Assert.Equal(0, result.Values[0].AsBytes()!.Value.Length);
        Assert.Equal(["log"], supervisor.QueryAudit("rerank").Select(r => r.Function));
    }

    [SkippableFact]
    public async Task Snoop_ReadingAnUngrantedTable_IsDeniedAndAudited()
    {
        var manifest = CExamples.Manifest("c-snoop");
        var supervisor = CreateSupervisor();
        await supervisor.WriteRowAsync("payroll", 1, "alice: 1,000,000"u8.ToArray()).DefaultTimeout();
        await supervisor.WriteRowAsync("public_stats", 7, "visits=42"u8.ToArray()).DefaultTimeout();
        await supervisor.LoadFromManifestAsync("snoop", manifest).DefaultTimeout();

        var snoop = await supervisor.InvokeAsync("snoop", "snoop").DefaultTimeout();
        Assert.Equal(HostStatus.Denied, snoop.Values[0].AsI32());
        var peek = await supervisor.InvokeAsync("snoop", "peek", [PluginValue.I64(7)]).DefaultTimeout();
        Assert.Equal("visits=42".Length, peek.Values[0].AsI32());

        var reads = supervisor.QueryAudit("snoop").Where(r => r.Function == "read").ToList();
        var denied = Assert.Single(reads, r => r.Decision == AuditDecision.Denied);
        Assert.Equal(("payroll", HostStatus.Denied, 0L), (denied.Target, denied.Status, denied.BytesOut));
        Assert.Equal("public_stats", Assert.Single(reads, r => r.Decision == AuditDecision.Allowed).Target);
        Assert.Equal(1, supervisor.GetPluginStats("snoop").CapabilityDenials);
        Assert.Equal("alice: 1,000,000"u8.ToArray(), await supervisor.ReadRowAsync("payroll", 1).DefaultTimeout());
    }

    [SkippableTheory]
    [InlineData("c-pii-mask", "mask_row")]
    [InlineData("c-reranker", "rerank")]
    [InlineData("c-snoop", "snoop")]
    public void Modules_ImportOnlyFromSochdb_AndExportMemoryAllocatorAndTheirFunctions(string example, string function)
    {
        var manifest = CExamples.Manifest(example);
        using var engine = new Wasmtime.Engine();
        using var module = Wasmtime.Module.FromFile(engine, Path.Combine(Path.GetDirectoryName(manifest)!, "plugin.wasm"));
        Assert.NotEmpty(module.Imports);
        Assert.All(module.Imports, i => Assert.True(i.ModuleName == "sochdb" && HostAbi.Functions.ContainsKey(i.Name), $"unexpected import {i.ModuleName}.{i.Name}"));
        var exports = module.Exports.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["memory", "soch_alloc", "soch_free", function], StringComparer.Ordinal), exports);
    }

    private static async Task<List<(ulong RowId, float Score)>> RerankAsync(PluginSupervisor supervisor, float[] query, int topK)
    {
        var bytes = new byte[query.Length * 4];
        for (var i = 0; i < query.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), query[i]);
        }

        var result = await supervisor.InvokeAsync("rerank", "rerank", [PluginValue.Bytes(bytes), PluginValue.I32(topK)]).DefaultTimeout();
        var buffer = result.Values[0].AsBytes()!.Value.ToArray();
        Assert.Equal(0, buffer.Length % 12);
        return [.. Enumerable.Range(0, buffer.Length / 12).Select(i => (BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(i * 12)), BinaryPrimitives.ReadSingleLittleEndian(buffer.AsSpan((i * 12) + 8))))];
    }

    /// <summary>Builds the C examples once per test run with <c>examples/build-c.sh</c> and finds their manifests.</summary>
    private static class CExamples
    {
        /// <summary>build-c.sh's exit code when a module needs building and clang or wasm-ld is missing.</summary>
        private const int ToolchainMissing = 2;

        private static readonly Lazy<(int ExitCode, string Output)> Build = new(RunBuild, LazyThreadSafetyMode.ExecutionAndPublication);

        private static string RepoRoot { get; } = FindRepoRoot();

        /// <summary>Gets an example's manifest, building the examples first; skips the test when there is no toolchain.</summary>
        public static string Manifest(string example)
        {
            var (exitCode, output) = Build.Value;
            Skip.If(exitCode == ToolchainMissing, $"examples/build-c.sh could not build the C examples: {output.Trim()}");
            Assert.True(exitCode == 0, $"examples/build-c.sh failed with exit code {exitCode}:\n{output}");
            return Path.Combine(RepoRoot, "examples", example, "plugin.toml");
        }

        private static (int ExitCode, string Output) RunBuild()
        {
            var script = Path.Combine(RepoRoot, "examples", "build-c.sh");
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoRoot };
            info.ArgumentList.Add(script);
            Process process;
            try
            {
                process = Process.Start(info)!;
            }
            catch (Win32Exception ex)
            {
                return (ToolchainMissing, $"bash could not be started to run {script}: {ex.Message}");
            }

            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
                {
                    process.Kill(entireProcessTree: true);
                    return (-1, $"{script} did not finish within 2 minutes");
                }

                return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
            }
        }

        private static string FindRepoRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SochDb.Isolated.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException($"SochDb.Isolated.sln was not found above {AppContext.BaseDirectory}");
        }
    }
}

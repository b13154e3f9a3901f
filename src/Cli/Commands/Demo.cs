using System.Diagnostics;
using System.Globalization;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli;

/// <summary>
/// The demo: loads the example plugins into worker processes, runs them, and shows isolation at work. Every number it
/// prints is measured in the run.
/// </summary>
internal static class Demo
{
    /// <summary>Runs the demo.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="supervisor">The supervisor to run the plugins in.</param>
    /// <param name="cancellationToken">Stops the demo.</param>
    /// <returns>The process exit code: 0 when every step behaved as expected.</returns>
    public static async Task<int> RunAsync(TextWriter output, PluginSupervisor supervisor, CancellationToken cancellationToken)
    {
        var examples = FindExamples();
        var failures = 0;
        await output.WriteLineAsync($"SochDb.Isolated demo — supervisor pid {Environment.ProcessId}, examples from {examples}").ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);

        await output.WriteLineAsync("1. Load six plugins, each into its own worker process").ConfigureAwait(false);
        foreach (var (id, folder) in new[] { ("scorer", "row-scorer"), ("mask", "text-transform"), ("runaway", "runaway"), ("bomb", "memory-bomb"), ("lookup", "customer-lookup"), ("pii", "pii-hook") })
        {
            var watch = Stopwatch.StartNew();
            var info = await supervisor.LoadFromManifestAsync(id, Path.Combine(examples, folder, "plugin.toml"), cancellationToken: cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"   {id,-8} {info.Name} {info.Version,-6} worker pid {info.WorkerPid}  loaded in {watch.Elapsed.TotalMilliseconds:F0} ms").ConfigureAwait(false);
        }

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("2. Call them").ConfigureAwait(false);
        var score = await supervisor.InvokeAsync("scorer", "score", [PluginValue.I64(1200), PluginValue.I64(85), PluginValue.F64(6.5)], cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"   scorer.score(views=1200, likes=85, age=6.5h) = {score.Values[0].AsF64()!.Value.ToString("F3", CultureInfo.InvariantCulture)}   {Receipt(score.Receipt)}").ConfigureAwait(false);
        var masked = await supervisor.InvokeAsync("mask", "mask_email", [PluginValue.String("alice.smith@example.com")], cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"   mask.mask_email(\"alice.smith@example.com\") = \"{masked.Values[0].AsString()}\"   {Receipt(masked.Receipt)}").ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("3. Isolation").ConfigureAwait(false);
        failures += await ExpectAsync(output, "runaway.run() never returns", () => supervisor.InvokeAsync("runaway", "run", null, cancellationToken), ErrorKindName.Timeout).ConfigureAwait(false);
        var ping = await supervisor.InvokeAsync("runaway", "ping", null, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"   runaway.ping() right after = {ping.Values[0].AsI32()} (same worker, fresh instance)").ConfigureAwait(false);
        failures += await ExpectAsync(output, "bomb.explode() grows memory forever", () => supervisor.InvokeAsync("bomb", "explode", null, cancellationToken), ErrorKindName.MemoryLimitExceeded).ConfigureAwait(false);

        var victim = supervisor.ListPlugins().Single(p => p.Id == "scorer");
        using (var process = Process.GetProcessById(victim.WorkerPid!.Value))
        {
            process.Kill();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"   killed scorer's worker (pid {victim.WorkerPid}) with SIGKILL").ConfigureAwait(false);
        var again = await supervisor.InvokeAsync("mask", "mask_email", [PluginValue.String("bob@example.org")], cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"   mask keeps serving: \"{again.Values[0].AsString()}\"").ConfigureAwait(false);
        var rescored = await supervisor.InvokeAsync("scorer", "score", [PluginValue.I64(10), PluginValue.I64(1), PluginValue.F64(0)], cancellationToken).ConfigureAwait(false);
        var replaced = supervisor.ListPlugins().Single(p => p.Id == "scorer");
        await output.WriteLineAsync($"   scorer answers from a replacement worker (pid {replaced.WorkerPid}): {rescored.Values[0].AsF64()!.Value.ToString("F3", CultureInfo.InvariantCulture)}").ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("4. Host calls: checked against the manifest by the supervisor, and audited").ConfigureAwait(false);
        await supervisor.WriteRowAsync("customers", 1, "Ada Lovelace <ada@example.com>"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        var stored = await supervisor.ReadRowAsync("customers", 1, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"   the application wrote customers row 1 = \"Ada Lovelace <ada@example.com>\"; the pii before_insert hook stored \"{System.Text.Encoding.UTF8.GetString(stored!)}\"").ConfigureAwait(false);
        await supervisor.WriteRowAsync("secrets", 1, "launch codes"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        var row = await supervisor.InvokeAsync("lookup", "lookup", [PluginValue.I64(1)], cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"   lookup.lookup(1) read customers row 1 = {System.Text.Encoding.UTF8.GetString(row.Values[0].AsBytes()!.Value.Span)}  ({row.Receipt.HostCalls} host call)").ConfigureAwait(false);
        var peek = await supervisor.InvokeAsync("lookup", "peek_secret", [PluginValue.I64(1)], cancellationToken).ConfigureAwait(false);
        var status = peek.Values[0].AsI64();
        await output.WriteLineAsync($"   lookup.peek_secret(1) tried table 'secrets': status {status} ({(status == -1 ? "denied" : "NOT denied")})").ConfigureAwait(false);
        failures += status == -1 ? 0 : 1;
        foreach (var record in supervisor.QueryAudit("lookup"))
        {
            await output.WriteLineAsync($"   audit #{record.Sequence}: {record.PluginId} call {record.CallId} {record.Function}({record.Target}) -> {record.Decision}, status {record.Status}, {record.BytesOut} bytes out{(record.Detail is null ? string.Empty : $" — {record.Detail}")}").ConfigureAwait(false);
        }

        await RerankAsync(output, supervisor, examples, cancellationToken).ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("5. Statistics (measured in this run)").ConfigureAwait(false);
        await output.WriteLineAsync($"   {"plugin",-8} {"calls",5} {"ok",4} {"failed",6} {"fuel",12} {"peak memory",12} {"restarts",8}").ConfigureAwait(false);
        foreach (var plugin in supervisor.ListPlugins())
        {
            var s = supervisor.GetPluginStats(plugin.Id);
            await output.WriteLineAsync($"   {plugin.Id,-8} {s.TotalCalls,5} {s.SuccessfulCalls,4} {s.FailedCalls,6} {s.FuelConsumed,12:N0} {s.PeakMemoryBytes,12:N0} {s.WorkerRestarts,8}").ConfigureAwait(false);
        }

        var r = supervisor.GetRuntimeStats();
        await output.WriteLineAsync($"   runtime: {r.TotalInvocations} calls, {r.TotalFuelConsumed:N0} fuel, {r.Timeouts} timeout(s), {r.MemoryViolations} memory violation(s), {r.WorkerCrashes} worker crash(es), {r.WorkersStarted} workers started, {r.HostCalls} host calls, {r.CapabilityDenials} denied, {r.AuditRecords} audit records").ConfigureAwait(false);
        await output.WriteLineAsync($"   workers isolated at OS level by {r.IsolationMode} (see docs/isolation.md); restarts after failures: {r.WorkerRestarts}, quarantined plugins: {r.QuarantinedPlugins}").ConfigureAwait(false);
        await output.WriteLineAsync(failures == 0 ? "\nEvery misbehaving plugin was stopped; the supervisor and the other plugins kept serving." : $"\n{failures} step(s) did not behave as expected.").ConfigureAwait(false);
        return failures == 0 ? ExitCodes.Success : ExitCodes.DemoFailed;
    }

    /// <summary>Runs the C re-ranker (built from examples/c-reranker with clang) over a small vector index, if it was built.</summary>
    private static async Task RerankAsync(TextWriter output, PluginSupervisor supervisor, string examples, CancellationToken cancellationToken)
    {
        var manifest = Path.Combine(examples, "c-reranker", "plugin.toml");
        if (!File.Exists(Path.Combine(examples, "c-reranker", "plugin.wasm")))
        {
            await output.WriteLineAsync("   (the C re-ranker is not built: run examples/build-c.sh, which needs clang and lld, to see it here)").ConfigureAwait(false);
            return;
        }

        await supervisor.LoadFromManifestAsync("rerank", manifest, cancellationToken: cancellationToken).ConfigureAwait(false);
        (long Row, float[] Vector, string Text)[] docs =
        [
            (1, [1f, 0f, 0f], "a guide to B-trees"),
            (2, [0.9f, 0.1f, 0f], "running wasm plugins safely"),
            (3, [0.7f, 0.3f, 0f], "wasm fuel and epochs"),
            (4, [0f, 1f, 0f], "gardening"),
        ];
        foreach (var (row, vector, text) in docs)
        {
            await supervisor.PutVectorAsync("docs", row, vector, cancellationToken: cancellationToken).ConfigureAwait(false);
            await supervisor.WriteRowAsync("docs", row, System.Text.Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        }

        var query = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(query, 1f);
        var result = await supervisor.InvokeAsync("rerank", "rerank", [PluginValue.Bytes(query), PluginValue.I32(3)], cancellationToken).ConfigureAwait(false);
        var bytes = result.Values[0].AsBytes()!.Value.Span;
        var ranked = new List<string>();
        for (var i = 0; i + 12 <= bytes.Length; i += 12)
        {
            var row = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes[i..]);
            var score = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes[(i + 8)..]);
            ranked.Add($"row {row} ({docs.Single(d => d.Row == row).Text}, {score.ToString("F2", CultureInfo.InvariantCulture)})");
        }

        await output.WriteLineAsync($"   C re-ranker (clang → wasm32): vector_search + read per hit + keyword boost from [config], {result.Receipt.HostCalls} host calls:").ConfigureAwait(false);
        await output.WriteLineAsync($"     {string.Join(" > ", ranked)}").ConfigureAwait(false);
    }

    private static string Receipt(CallReceipt receipt)
        => $"[fuel {receipt.FuelConsumed:N0}, guest {receipt.Duration.TotalMicroseconds:F0} µs, round trip {receipt.RoundTrip.TotalMicroseconds:F0} µs, peak memory {receipt.PeakMemoryBytes:N0} B]";

    private static async Task<int> ExpectAsync(TextWriter output, string what, Func<Task<InvokeResult>> call, string expectedKind)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await call().ConfigureAwait(false);
            await output.WriteLineAsync($"   {what}: returned normally (unexpected)").ConfigureAwait(false);
            return 1;
        }
        catch (PluginException ex)
        {
            await output.WriteLineAsync($"   {what}: stopped after {watch.Elapsed.TotalMilliseconds:F0} ms with {ex.Kind} — {ex.Message}").ConfigureAwait(false);
            return ex.Kind.ToString() == expectedKind ? 0 : 1;
        }
    }

    private static string FindExamples()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples");
                if (File.Exists(Path.Combine(candidate, "row-scorer", "plugin.toml")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("The examples folder was not found next to the working directory or the program.");
    }

    /// <summary>Error kind names the demo expects.</summary>
    private static class ErrorKindName
    {
        public const string Timeout = "Timeout";
        public const string MemoryLimitExceeded = "MemoryLimitExceeded";
    }
}

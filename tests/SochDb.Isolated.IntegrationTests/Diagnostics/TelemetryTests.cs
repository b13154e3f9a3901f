using System.Collections.Concurrent;
using System.Diagnostics;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;
using static SochDb.Isolated.Supervisor.Diagnostics.IsolatedPluginsTelemetry;

namespace SochDb.Isolated.IntegrationTests.Diagnostics;

/// <summary>The supervisor's meter and spans against real workers: what each call, host call and worker event records.</summary>
public sealed class TelemetryTests : SupervisorTestBase
{
    private const string HostGrants = """
        [capabilities]
        can_read_table = ["items"]
        can_write_table = ["items"]

        [exports]
        functions = ["get", "put"]
        [exports.signatures.get]
        params = ["i64"]
        returns = ["bytes"]
        [exports.signatures.put]
        params = ["i64", "bytes"]
        returns = ["i32"]
        """;

    private const string CallerSignatures = """
        [exports]
        functions = ["call_named"]
        [exports.signatures.call_named]
        params = ["string", "string", "bytes"]
        returns = ["i64"]
        """;

    private const string CalleeSignatures = """
        [exports]
        functions = ["upper"]
        [exports.signatures.upper]
        params = ["bytes"]
        returns = ["bytes"]
        """;

    private const string Roomy = "memory_limit_mb = 2\ntimeout_ms = 10000\nfuel_limit = 10_000_000";

    [Fact]
    public async Task Invoke_WithMeterListener_RecordsCallsDurationFuelHostCallsAndDenials()
    {
        using var meters = new TestMeterFactory();
        using var metrics = new MetricsCollector(meters);
        var supervisor = CreateSupervisor(meterFactory: meters);
        await supervisor.LoadAsync("p", Fixtures.Wasm("host"), Manifest(HostGrants, resources: Roomy)).DefaultTimeout();

        Assert.Equal(0, (await supervisor.InvokeAsync("p", "put", [PluginValue.I64(1), PluginValue.Bytes("row"u8)]).DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(HostStatus.Denied, (await supervisor.InvokeAsync("p", "steal", [PluginValue.I64(1)]).DefaultTimeout()).Values[0].AsI64());
        await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("p", "no_such_export")).DefaultTimeout();

        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", PluginIdTag, "p", FunctionTag, "put", OutcomeTag, "ok", CallKindTag, "invoke"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", PluginIdTag, "p", FunctionTag, "steal", OutcomeTag, "ok"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", PluginIdTag, "p", FunctionTag, "no_such_export", OutcomeTag, "function_not_found"));
        Assert.Equal(3, metrics.Count("sochdb.isolated.call.duration", PluginIdTag, "p"));
        Assert.All(metrics.Matching("sochdb.isolated.call.duration"), m => Assert.InRange(m.Value, 1e-7, 60));
        Assert.True(metrics.Sum("sochdb.isolated.fuel.consumed", PluginIdTag, "p", FunctionTag, "put") > 0);

        Assert.Equal(1, metrics.Sum("sochdb.isolated.host_calls", PluginIdTag, "p", HostFunctionTag, "write", DecisionTag, "allowed"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.host_calls", PluginIdTag, "p", HostFunctionTag, "read", DecisionTag, "denied"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.capability.denials", PluginIdTag, "p", HostFunctionTag, "read"));
        Assert.Equal(2, metrics.Count("sochdb.isolated.host_call.duration", PluginIdTag, "p"));
        Assert.Equal(1, metrics.Sum("sochdb.isolated.worker.starts", PluginIdTag, "p", WorkerSourceTag, "cold"));

        var observed = metrics.Observe();
        Assert.Contains(observed, m => m.Instrument == "sochdb.isolated.plugins" && Equals(m.Tags["sochdb.plugin.state"], "running") && m.Value == 1);
        Assert.Contains(observed, m => m.Instrument == "sochdb.isolated.queue.depth" && Equals(m.Tags[PluginIdTag], "p") && m.Value == 0);
        Assert.Contains(observed, m => m.Instrument == "sochdb.isolated.calls.in_flight" && Equals(m.Tags[PluginIdTag], "p") && m.Value == 0);
        Assert.Contains(observed, m => m.Instrument == "sochdb.isolated.pool.size" && m.Value == 0);

        // The worker's memory comes from the OS: its group's charge, or its resident set; a .NET worker is megabytes.
        var memory = Assert.Single(observed, m => m.Instrument == "sochdb.isolated.worker.memory");
        Assert.InRange(memory.Value, 1 << 20, 4L << 30);
    }

    [Fact]
    public async Task Invoke_FailuresAndCrash_CountedByErrorKindAndExitReason()
    {
        using var meters = new TestMeterFactory();
        using var metrics = new MetricsCollector(meters);
        var supervisor = CreateSupervisor(o => o.RestartPolicy.MaxFailures = 1, meterFactory: meters);
        var loaded = await supervisor.LoadAsync("spinner", Fixtures.Wasm("basic"), Manifest(resources: SpinResources)).DefaultTimeout();

        await Assert.ThrowsAsync<PluginTimeoutException>(() => supervisor.InvokeAsync("spinner", "spin")).DefaultTimeout();
        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", PluginIdTag, "spinner", FunctionTag, "spin", OutcomeTag, "timeout"));

        using (var worker = Process.GetProcessById(loaded.WorkerPid!.Value))
        {
            worker.Kill();
        }

        await Eventually.WaitForAsync(() => supervisor.ListPlugins().Single().State == PluginState.Quarantined, "the spinner quarantined");
        var crash = Assert.Single(metrics.Matching("sochdb.isolated.worker.crashes", PluginIdTag, "spinner"));
        Assert.Equal("crashed", crash.Tags[ExitReasonTag]);
        Assert.Equal(1, metrics.Sum("sochdb.isolated.quarantines", PluginIdTag, "spinner"));
        Assert.Contains(metrics.Observe(), m => m.Instrument == "sochdb.isolated.plugins" && Equals(m.Tags["sochdb.plugin.state"], "quarantined") && m.Value == 1);

        await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("spinner", "add", [PluginValue.I32(1), PluginValue.I32(2)])).DefaultTimeout();
        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", PluginIdTag, "spinner", FunctionTag, "add", OutcomeTag, "sandbox_failed"));
    }

    [Fact]
    public async Task Batch_WithMeterListener_CountsTheBatchOnceAndEachRow()
    {
        using var meters = new TestMeterFactory();
        using var metrics = new MetricsCollector(meters);
        var supervisor = CreateSupervisor(meterFactory: meters);
        await supervisor.LoadAsync("b", Fixtures.Wasm("basic"), Manifest()).DefaultTimeout();

        var rows = Enumerable.Range(0, 5).Select(i => (IReadOnlyList<PluginValue>)[PluginValue.I32(i), PluginValue.I32(1)]).ToArray();
        var result = await supervisor.InvokeBatchAsync("b", "add", rows).DefaultTimeout();

        Assert.Equal(5, result.Rows.Count);
        Assert.Equal(1, metrics.Sum("sochdb.isolated.calls", PluginIdTag, "b", CallKindTag, "batch", OutcomeTag, "ok"));
        Assert.Equal(5, metrics.Sum("sochdb.isolated.batch.rows", PluginIdTag, "b", FunctionTag, "add", OutcomeTag, "ok"));
        Assert.Equal(result.FuelConsumed, metrics.Sum("sochdb.isolated.fuel.consumed", PluginIdTag, "b"));
    }

    [Fact]
    public async Task Traces_HostCall_IsAChildOfTheInvokeSpanNamedByTheWorker()
    {
        var id = "traced-" + Guid.NewGuid().ToString("N")[..8];
        using var spans = new SpanCollector(id);
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync(id, Fixtures.Wasm("host"), Manifest(HostGrants, resources: Roomy)).DefaultTimeout();

        using (var outer = new Activity("application request").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await supervisor.InvokeAsync(id, "put", [PluginValue.I64(1), PluginValue.Bytes("row"u8)]).DefaultTimeout();
            var invoke = Assert.Single(spans.Named("sochdb.invoke"));
            Assert.Equal(outer.TraceId, invoke.TraceId);
            Assert.Equal(outer.SpanId, invoke.ParentSpanId);
        }

        var call = Assert.Single(spans.Named("sochdb.invoke"));
        var host = Assert.Single(spans.Named("sochdb.host_call"));
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(ActivityKind.Server, host.Kind);
        Assert.Equal(call.TraceId, host.TraceId);
        Assert.Equal(call.SpanId, host.ParentSpanId);
        Assert.Equal(true, host.GetTagItem("sochdb.trace.from_worker"));
        Assert.Equal("write", host.GetTagItem(HostFunctionTag));
        Assert.Equal("allowed", host.GetTagItem(DecisionTag));
        Assert.Equal(1L, host.GetTagItem(GenerationTag));
        Assert.Equal(1L, call.GetTagItem(GenerationTag));
        Assert.Equal("ok", call.GetTagItem(OutcomeTag));
        Assert.Equal(ActivityStatusCode.Unset, call.Status);
    }

    [Fact]
    public async Task Traces_FailedCall_CarriesTheErrorKindAndErrorStatus()
    {
        var id = "failing-" + Guid.NewGuid().ToString("N")[..8];
        using var spans = new SpanCollector(id);
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync(id, Fixtures.Wasm("basic"), Manifest(resources: SpinResources)).DefaultTimeout();

        await Assert.ThrowsAsync<PluginTimeoutException>(() => supervisor.InvokeAsync(id, "spin")).DefaultTimeout();

        var call = Assert.Single(spans.Named("sochdb.invoke"));
        Assert.Equal("timeout", call.GetTagItem(OutcomeTag));
        Assert.Equal("timeout", call.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, call.Status);
    }

    [Fact]
    public async Task Traces_CallPlugin_CalleeSpanNestsUnderTheCallersHostCall()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var caller = "caller-" + suffix;
        var callee = "callee-" + suffix;
        using var spans = new SpanCollector(caller, callee);
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync(caller, Fixtures.Wasm("caller"), Manifest($"[capabilities]\ncan_call_plugin = [\"{callee}\"]\n" + CallerSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        await supervisor.LoadAsync(callee, Fixtures.Wasm("basic"), Manifest(CalleeSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();

        await supervisor.InvokeAsync(caller, "call_named", [PluginValue.String(callee), PluginValue.String("upper"), PluginValue.Bytes("x"u8)]).DefaultTimeout();

        var outer = Assert.Single(spans.Named("sochdb.invoke"), s => Equals(s.GetTagItem(PluginIdTag), caller));
        var hop = Assert.Single(spans.Named("sochdb.host_call"), s => Equals(s.GetTagItem(PluginIdTag), caller));
        var inner = Assert.Single(spans.Named("sochdb.invoke"), s => Equals(s.GetTagItem(PluginIdTag), callee));
        Assert.Equal("call_plugin", hop.GetTagItem(HostFunctionTag));
        Assert.Equal(outer.SpanId, hop.ParentSpanId);
        Assert.Equal(hop.SpanId, inner.ParentSpanId);
        Assert.Equal(outer.TraceId, inner.TraceId);
    }

    /// <summary>Records the supervisor's finished spans for the given plugins (listeners are process-wide; other tests' spans are ignored).</summary>
    private sealed class SpanCollector : IDisposable
    {
        private readonly ActivityListener listener;
        private readonly ConcurrentQueue<Activity> stopped = new();

        public SpanCollector(params string[] pluginIds)
        {
            listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.GetTagItem(PluginIdTag) is string id && pluginIds.Contains(id))
                    {
                        stopped.Enqueue(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(listener);
        }

        public IEnumerable<Activity> Named(string operation) => stopped.Where(a => a.OperationName == operation).ToArray();

        public void Dispose() => listener.Dispose();
    }
}

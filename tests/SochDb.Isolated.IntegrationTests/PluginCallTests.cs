using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary><c>call_plugin</c>: capability-checked, run under the callee's limits, within the caller's deadline, never deadlocking.</summary>
public sealed class PluginCallTests : SupervisorTestBase
{
    internal const string CallerSignatures = """
        [exports]
        functions = ["call_named", "bounce"]
        [exports.signatures.call_named]
        params = ["string", "string", "bytes"]
        returns = ["i64"]
        [exports.signatures.bounce]
        params = ["bytes"]
        returns = ["bytes"]
        """;

    internal const string CalleeSignatures = """
        [exports]
        functions = ["upper", "spin_bytes", "echo"]
        [exports.signatures.upper]
        params = ["bytes"]
        returns = ["bytes"]
        [exports.signatures.spin_bytes]
        params = ["bytes"]
        returns = ["bytes"]
        """;

    private static readonly byte[] Caller = Fixtures.Wasm("caller");

    [Fact]
    public async Task CallPlugin_Granted_RunsTheCalleeInItsOwnWorker()
    {
        var supervisor = CreateSupervisor();
        var caller = await supervisor.LoadAsync("caller", Caller, Manifest("[capabilities]\ncan_call_plugin = [\"callee\"]\n" + CallerSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        var callee = await supervisor.LoadAsync("callee", Fixtures.Wasm("basic"), Manifest(CalleeSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        Assert.NotEqual(caller.WorkerPid, callee.WorkerPid);
        var result = await supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("callee"), PluginValue.String("upper"), PluginValue.Bytes("quiet please"u8)]).DefaultTimeout();
        var packed = result.Values[0].AsI64()!.Value;
        Assert.True(packed > 0, $"call_plugin returned {packed}");
        Assert.Equal(12, packed & 0xFFFFFFFF);
        Assert.Equal(12, result.Receipt.HostBytesOut);
        Assert.Equal(1, supervisor.GetPluginStats("callee").SuccessfulCalls);
        var record = Assert.Single(supervisor.QueryAudit("caller"));
        Assert.Equal(("call_plugin", "callee", AuditDecision.Allowed), (record.Function, record.Target, record.Decision));
    }

    [Fact]
    public async Task CallPlugin_NotGranted_IsDenied()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("caller", Caller, Manifest("[capabilities]\ncan_call_plugin = [\"someone_else\"]\n" + CallerSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        await supervisor.LoadAsync("callee", Fixtures.Wasm("basic"), Manifest(CalleeSignatures)).DefaultTimeout();
        var result = await supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("callee"), PluginValue.String("upper"), PluginValue.Bytes("x"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.Denied, result.Values[0].AsI64());
        Assert.Equal(0, supervisor.GetPluginStats("callee").TotalCalls);
    }

    [Fact]
    public async Task CallPlugin_Self_IsRefusedAsACycle()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("caller", Caller, Manifest("[capabilities]\ncan_call_plugin = [\"caller\"]\n" + CallerSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        var result = await supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("caller"), PluginValue.String("bounce"), PluginValue.Bytes("x"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.LimitExceeded, result.Values[0].AsI64());
        Assert.Contains("call cycle refused: caller -> caller", supervisor.QueryAudit("caller").Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallPlugin_CycleThroughAnotherPlugin_IsRefusedWithoutDeadlock()
    {
        var supervisor = CreateSupervisor();
        var manifest = Manifest("[capabilities]\ncan_call_plugin = [\"ping\", \"pong\"]\n" + CallerSignatures, resources: "timeout_ms = 10000");
        await supervisor.LoadAsync("ping", Caller, manifest).DefaultTimeout();
        await supervisor.LoadAsync("pong", Caller, manifest).DefaultTimeout();
        var result = await supervisor.InvokeAsync("ping", "call_named", [PluginValue.String("pong"), PluginValue.String("bounce"), PluginValue.Bytes("x"u8)]).DefaultTimeout();
        Assert.True(result.Values[0].AsI64() < 0);
        var refused = supervisor.QueryAudit("pong").Single(r => r.Function == "call_plugin");
        Assert.Equal(AuditDecision.LimitExceeded, refused.Decision);
        Assert.Contains("ping -> pong -> ping", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallPlugin_CalleeRunsPastTheCallersDeadline_GetsOnlyTheCallersTime()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("caller", Caller, Manifest("[capabilities]\ncan_call_plugin = [\"callee\"]\n" + CallerSignatures, resources: "timeout_ms = 500")).DefaultTimeout();
        await supervisor.LoadAsync("callee", Fixtures.Wasm("basic"), Manifest(CalleeSignatures, resources: "timeout_ms = 30000\nfuel_limit = 1_000_000_000_000")).DefaultTimeout();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<PluginException>(() => supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("callee"), PluginValue.String("spin_bytes"), PluginValue.Bytes("x"u8)])).DefaultTimeout();
        Assert.Equal(ErrorKind.Timeout, error.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");

        // The callee's deadline is the caller's: the two end together, and the caller's worker may give up on the host
        // call a moment before the callee's timeout is counted, so wait (bounded) for the count. On a loaded machine
        // the caller's 500 ms can be spent before its host call reaches the supervisor; then the callee is never
        // called at all (no call, no timeout). Whatever ran in the callee must have ended by the shared deadline.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (supervisor.GetPluginStats("callee") is var stats && (stats.Timeouts < stats.TotalCalls || stats.TotalCalls == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var callee = supervisor.GetPluginStats("callee");
        Assert.InRange(callee.TotalCalls, 0, 1);
        Assert.Equal(callee.TotalCalls, callee.Timeouts);
    }

    [Fact]
    public async Task CallPlugin_CalleeNotBytesToBytes_IsInvalidArguments()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("caller", Caller, Manifest("[capabilities]\ncan_call_plugin = [\"callee\"]\n" + CallerSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        await supervisor.LoadAsync("callee", Fixtures.Wasm("basic"), Manifest(CalleeSignatures)).DefaultTimeout();
        var result = await supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("callee"), PluginValue.String("add"), PluginValue.Bytes("x"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.InvalidArguments, result.Values[0].AsI64());
        Assert.Contains("bytes -> bytes", supervisor.QueryAudit("caller").Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallPlugin_MissingCallee_IsNotFound()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("caller", Caller, Manifest("[capabilities]\ncan_call_plugin = [\"ghost\"]\n" + CallerSignatures, resources: "timeout_ms = 10000")).DefaultTimeout();
        var result = await supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("ghost"), PluginValue.String("f"), PluginValue.Bytes("x"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.NotFound, result.Values[0].AsI64());
        Assert.Equal(Encoding.UTF8.GetBytes("ghost"), Encoding.UTF8.GetBytes(supervisor.QueryAudit("caller").Single().Target!));
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary><c>DirectCalls</c>: single calls and their host calls travel on each worker's direct lane, with every guarantee of the channel.</summary>
public sealed partial class DirectCallTests : SupervisorTestBase
{
    private const int LaneConnectedEvent = 1023;
    private const int DirectCallEvent = 1024;
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    public static TheoryData<WireFormat> Formats => [WireFormat.MessagePackLengthPrefixed, WireFormat.JsonLengthPrefixed, WireFormat.JsonHeaders];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task InvokeAsync_DirectCalls_AnswerOnTheLaneWithReceiptsHostCallsAndStats(WireFormat format)
    {
        var supervisor = CreateSupervisor(o => (o.DirectCalls, o.WireFormat) = (true, format));
        var manifest = Manifest(
            """
            [exports]
            functions = ["add", "log_hello", "echo", "upper"]
            [exports.signatures.echo]
            params = ["bytes"]
            returns = ["bytes"]
            [exports.signatures.upper]
            params = ["string"]
            returns = ["string"]
            """,
            resources: "timeout_ms = 10000\nfuel_limit = 10_000_000");
        await supervisor.LoadAsync("test", Basic, manifest).DefaultTimeout();

        for (var i = 0; i < 20; i++)
        {
            var sum = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(i), PluginValue.I32(i)]).DefaultTimeout();
            Assert.Equal(2 * i, sum.Values[0].AsI32());
            Assert.True(sum.Receipt.FuelConsumed > 0);
        }

        var logged = await supervisor.InvokeAsync("test", "log_hello").DefaultTimeout();
        var upper = await supervisor.InvokeAsync("test", "upper", [PluginValue.String("direct lane")]).DefaultTimeout();
        var payload = Enumerable.Range(0, 64 * 1024).Select(i => (byte)i).ToArray();
        var echo = await supervisor.InvokeAsync("test", "echo", [PluginValue.Bytes(payload)]).DefaultTimeout();

        Assert.Equal(1, logged.Receipt.HostCalls);
        Assert.Equal("DIRECT LANE", upper.Values[0].AsString());
        Assert.Equal(payload, echo.Values[0].AsBytes()!.Value.ToArray());
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((23L, 23L, 0L, 1L), (stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls, stats.HostCalls));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == LaneConnectedEvent);
        Assert.Equal(23, Logs.Entries.Count(e => e.EventId.Id == DirectCallEvent));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1012 && e.Message.StartsWith("[test]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    public async Task InvokeAsync_HostCallsWithAnySpin_AreAnsweredOnTheLane(int spinMicroseconds)
    {
        var supervisor = CreateSupervisor(o => (o.DirectCalls, o.DirectCallSpin) = (true, TimeSpan.FromMicroseconds(spinMicroseconds)));
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 10000\nfuel_limit = 10_000_000")).DefaultTimeout();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, (await supervisor.InvokeAsync("test", "log_hello").DefaultTimeout()).Receipt.HostCalls);
        }

        Assert.Equal((5L, 5L), (supervisor.GetPluginStats("test").SuccessfulCalls, supervisor.GetPluginStats("test").HostCalls));
        Assert.Equal(5, Logs.Entries.Count(e => e.EventId.Id == DirectCallEvent));
    }

    [Fact]
    public async Task InvokeAsync_DirectCallsOff_UsesTheChannelOnly()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();

        await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout();

        Assert.DoesNotContain(Logs.Entries, e => e.EventId.Id is LaneConnectedEvent or DirectCallEvent);
    }

    [Fact]
    public async Task InvokeAsync_ManyCallersOnFourInstances_ShareTheLaneAndTheChannelAndAllAnswerRight()
    {
        var supervisor = CreateSupervisor(o => o.DirectCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 10000\nfuel_limit = 10_000_000\nmax_instances = 4")).DefaultTimeout();

        var calls = Enumerable.Range(0, 200).Select(i => supervisor.InvokeAsync("test", i % 20 == 0 ? "log_hello" : "add", i % 20 == 0 ? [] : [PluginValue.I32(i), PluginValue.I32(1)])).ToArray();
        var results = await Task.WhenAll(calls).DefaultTimeout();

        for (var i = 0; i < results.Length; i++)
        {
            if (i % 20 != 0)
            {
                Assert.Equal(i + 1, results[i].Values[0].AsI32());
            }
        }

        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((200L, 200L, 10L), (stats.TotalCalls, stats.SuccessfulCalls, stats.HostCalls));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == DirectCallEvent);
    }

    [Fact]
    public async Task InvokeAsync_DirectCallSpinsPastItsTimeout_TimesOutAndTheSameWorkerAnswersNext()
    {
        var supervisor = CreateSupervisor(o => o.DirectCalls = true);
        var info = await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources)).DefaultTimeout();

        var ex = await Assert.ThrowsAsync<PluginTimeoutException>(() => supervisor.InvokeAsync("test", "spin")).DefaultTimeout();
        var next = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(2), PluginValue.I32(3)]).DefaultTimeout();

        Assert.False(ex.WorkerKilled);
        Assert.Equal(5, next.Values[0].AsI32());
        Assert.Equal(info.WorkerPid, supervisor.ListPlugins().Single().WorkerPid);
        Assert.Equal(2, Logs.Entries.Count(e => e.EventId.Id == DirectCallEvent));
    }

    [Fact]
    public async Task InvokeAsync_DirectCallTrapsOrRunsOutOfFuel_FailsAloneAndTheLaneGoesOn()
    {
        var supervisor = CreateSupervisor(o => o.DirectCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();

        await Assert.ThrowsAsync<PluginTrapException>(() => supervisor.InvokeAsync("test", "divide", [PluginValue.I32(1), PluginValue.I32(0)])).DefaultTimeout();
        await Assert.ThrowsAsync<FuelExhaustedException>(() => supervisor.InvokeAsync("test", "spin")).DefaultTimeout();
        var next = await supervisor.InvokeAsync("test", "divide", [PluginValue.I32(9), PluginValue.I32(3)]).DefaultTimeout();

        Assert.Equal(3, next.Values[0].AsI32());
        Assert.Equal(0, supervisor.GetPluginStats("test").WorkerCrashes);
    }

    [SkippableFact]
    public async Task InvokeAsync_WorkerSigkilledDuringADirectCall_FailsWithWorkerCrashedAndAReplacementAnswers()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "signals are sent with kill(2)");
        var supervisor = CreateSupervisor(o => o.DirectCalls = true);
        var info = await supervisor.LoadAsync("test", Basic, Manifest(resources: "memory_limit_mb = 2\ntimeout_ms = 5000\nfuel_limit = 1_000_000_000_000")).DefaultTimeout();
        var pid = info.WorkerPid!.Value;
        var call = supervisor.InvokeAsync("test", "spin");
        await Eventually.WaitForAsync(() => Logs.Entries.Any(e => e.EventId.Id == DirectCallEvent), "the spin to be sent on the lane");
        await Task.Delay(100);

        Assert.Equal(0, Kill(pid, 9));

        var ex = await Assert.ThrowsAsync<WorkerCrashedException>(() => call).DefaultTimeout();
        Assert.Equal(128 + 9, ex.ExitCode);
        var next = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(2), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(4, next.Values[0].AsI32());
        Assert.NotEqual(pid, supervisor.ListPlugins().Single().WorkerPid);
        Assert.Equal(2, Logs.Entries.Count(e => e.EventId.Id == LaneConnectedEvent));
    }

    [SkippableFact]
    public async Task InvokeAsync_WorkerStoppedBeforeADirectCall_IsKilledAtTheDeadlineAndAReplacementAnswers()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "signals are sent with kill(2)");
        var grace = TimeSpan.FromMilliseconds(200);
        var supervisor = CreateSupervisor(o => (o.DirectCalls, o.CallGrace) = (true, grace));
        var info = await supervisor.LoadAsync("test", Basic, Manifest(resources: "memory_limit_mb = 2\ntimeout_ms = 300\nfuel_limit = 10_000_000")).DefaultTimeout();
        var pid = info.WorkerPid!.Value;
        Assert.Equal(0, Kill(pid, 19));
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<PluginTimeoutException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();

        Assert.True(ex.WorkerKilled);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(300) + grace, TimeSpan.FromSeconds(10));
        var next = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(3), PluginValue.I32(4)]).DefaultTimeout();
        Assert.Equal(7, next.Values[0].AsI32());
    }

    [Fact]
    public async Task LoadAsync_DirectCalls_RemovesTheLanesSocketFileOnceConnected()
    {
        var supervisor = CreateSupervisor(o => o.DirectCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();

        await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();

        var connected = Assert.Single(Logs.Entries, e => e.EventId.Id == LaneConnectedEvent);
        var path = LaneFile().Match(connected.Message).Groups[1].Value;
        Assert.StartsWith(Path.GetTempPath(), path, StringComparison.Ordinal);
        Assert.False(File.Exists(path), $"{path} is still there");
    }

    [Fact]
    public async Task InvokeAsync_AHostCallOutlivesItsCall_ItsAnswerIsDroppedAndTheWorkerGoesOn()
    {
        var supervisor = CreateSupervisor(o => o.DirectCalls = true);
        var caller = await supervisor.LoadAsync("caller", Fixtures.Wasm("caller"), Manifest("[capabilities]\ncan_call_plugin = [\"callee\"]\n" + PluginCallTests.CallerSignatures, resources: "timeout_ms = 500")).DefaultTimeout();
        await supervisor.LoadAsync("callee", Basic, Manifest(PluginCallTests.CalleeSignatures, resources: "timeout_ms = 30000\nfuel_limit = 1_000_000_000_000")).DefaultTimeout();

        // The caller's host call (call_plugin) waits on the callee's spin until the caller's budget runs out.
        var error = await Assert.ThrowsAnyAsync<PluginException>(() => supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("callee"), PluginValue.String("spin_bytes"), PluginValue.Bytes("x"u8.ToArray())])).DefaultTimeout();
        Assert.Equal(ErrorKind.Timeout, error.Kind);

        // The callee's spin ends at the caller's deadline too (its budget is capped to it), but on a loaded machine its
        // answer can trail the caller's by more than a fixed pause: the next call waits for it, so that its own 500 ms
        // measure the lanes, not the tail of the spin (one CI run timed out here after a 200 ms pause).
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("callee").CallsInFlight == 0, "the callee's spin to end");
        var next = await supervisor.InvokeAsync("caller", "call_named", [PluginValue.String("callee"), PluginValue.String("upper"), PluginValue.Bytes("lane"u8.ToArray())]).DefaultTimeout();

        Assert.True(next.Values[0].AsI64() > 0);
        Assert.Equal(caller.WorkerPid, supervisor.ListPlugins().Single(p => p.Id == "caller").WorkerPid);
        Assert.DoesNotContain(Logs.Entries, e => e.EventId.Id == 1020);
        Assert.Equal(0, supervisor.GetPluginStats("caller").WorkerCrashes);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"socket file (.+), removed\)$")]
    private static partial System.Text.RegularExpressions.Regex LaneFile();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

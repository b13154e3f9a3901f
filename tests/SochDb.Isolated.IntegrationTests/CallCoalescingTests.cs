using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary><c>CoalesceCalls</c>: calls that wait for a busy plugin's instance go to its worker together, each still a call of its own.</summary>
public sealed class CallCoalescingTests : SupervisorTestBase
{
    private const int CoalescedEvent = 1022;
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    [Fact]
    public async Task InvokeAsync_ManyCallersOnOneInstance_EachGetsItsOwnAnswerReceiptAndHostCallsFromSharedMessages()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 10000\nfuel_limit = 10_000_000\nmax_instances = 1")).DefaultTimeout();

        var adds = Enumerable.Range(0, 200).Select(i => supervisor.InvokeAsync("test", "add", [PluginValue.I32(i), PluginValue.I32(i)])).ToArray();
        var logs = Enumerable.Range(0, 20).Select(_ => supervisor.InvokeAsync("test", "log_hello")).ToArray();
        var sums = await Task.WhenAll(adds).DefaultTimeout();
        var logged = await Task.WhenAll(logs).DefaultTimeout();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * 2), sums.Select(r => r.Values[0].AsI32()!.Value));
        Assert.All(sums, r => Assert.True(r.Receipt.FuelConsumed > 0));
        Assert.All(logged, r => Assert.Equal(1, r.Receipt.HostCalls));
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((220L, 220L, 0L, 20L), (stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls, stats.HostCalls));
        Assert.Equal(sums.Sum(r => r.Receipt.FuelConsumed) + logged.Sum(r => r.Receipt.FuelConsumed), stats.FuelConsumed);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == CoalescedEvent);
    }

    [Fact]
    public async Task InvokeAsync_ATrapAmongCoalescedCalls_FailsAloneAndTheOthersSucceed()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 10000\nfuel_limit = 10_000_000")).DefaultTimeout();

        var calls = Enumerable.Range(0, 60).Select(i => i % 10 == 5
            ? supervisor.InvokeAsync("test", "divide", [PluginValue.I32(i), PluginValue.I32(0)])
            : supervisor.InvokeAsync("test", "divide", [PluginValue.I32(i * 6), PluginValue.I32(3)])).ToArray();
        await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default))).DefaultTimeout();

        for (var i = 0; i < calls.Length; i++)
        {
            if (i % 10 == 5)
            {
                Assert.IsType<PluginTrapException>(calls[i].Exception?.InnerException);
            }
            else
            {
                Assert.Equal(i * 2, (await calls[i]).Values[0].AsI32());
            }
        }

        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((60L, 54L, 6L, 6L), (stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls, stats.Traps));
        Assert.Equal(0, stats.WorkerCrashes);
    }

    [Fact]
    public async Task InvokeAsync_BuffersAndBatchesAmongCoalescedCalls_AnswerRight()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        var manifest = Manifest(
            """
            [exports]
            functions = ["upper", "add"]
            [exports.signatures.upper]
            params = ["string"]
            returns = ["string"]
            """,
            resources: "timeout_ms = 10000\nfuel_limit = 10_000_000\nmax_instances = 2");
        await supervisor.LoadAsync("test", Basic, manifest).DefaultTimeout();

        var strings = Enumerable.Range(0, 30).Select(i => supervisor.InvokeAsync("test", "upper", [PluginValue.String($"row {i} x")])).ToArray();
        var batches = Enumerable.Range(0, 5).Select(b => supervisor.InvokeBatchAsync("test", "add", [.. Enumerable.Range(0, 100).Select(i => (IReadOnlyList<PluginValue>)[PluginValue.I32(i), PluginValue.I32(b)])])).ToArray();
        var adds = Enumerable.Range(0, 100).Select(i => supervisor.InvokeAsync("test", "add", [PluginValue.I32(i), PluginValue.I32(1)])).ToArray();

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"ROW {i} X"), (await Task.WhenAll(strings).DefaultTimeout()).Select(r => r.Values[0].AsString()));
        var batchResults = await Task.WhenAll(batches).DefaultTimeout();
        for (var b = 0; b < batchResults.Length; b++)
        {
            Assert.Equal(Enumerable.Range(0, 100).Select(i => i + b), batchResults[b].Rows.Select(r => r.Values[0].AsI32()!.Value));
        }

        Assert.Equal(Enumerable.Range(1, 100), (await Task.WhenAll(adds).DefaultTimeout()).Select(r => r.Values[0].AsI32()!.Value));
    }

    [Fact]
    public async Task InvokeAsync_CoalescedCallsBehindASpinningOne_TimeOutWithinTheirBudgetAndTheWorkerSurvives()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources + "\nmax_instances = 1")).DefaultTimeout();

        // One instance: the first spin holds it for its 200 ms; the rest wait, go together, and each runs its own 200 ms
        // (the worker hands back those it can no longer start in time, and they go again).
        var calls = Enumerable.Range(0, 6).Select(_ => supervisor.InvokeAsync("test", "spin")).ToArray();
        await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default))).DefaultTimeout();

        Assert.All(calls, c => Assert.IsType<PluginTimeoutException>(c.Exception?.InnerException));
        Assert.Equal(0, supervisor.GetPluginStats("test").WorkerCrashes);
        var after = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, after.Values[0].AsI32());
    }

    [Fact]
    public async Task InvokeAsync_CoalescedCallsWaitLongerThanTheirTimeout_StillRunWithAllOfIt()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 100\nfuel_limit = 1_000_000_000_000\nmax_instances = 1")).DefaultTimeout();

        // Two spins hold the only instance for 100 ms each; the adds behind them wait twice their 100 ms timeout. A call's
        // timeout is its run time, as at the plugin's gate: the wait is the queue timeout's business.
        var first = supervisor.InvokeAsync("test", "spin");
        await Task.Delay(20);
        var second = supervisor.InvokeAsync("test", "spin");
        var adds = Enumerable.Range(0, 10).Select(i => supervisor.InvokeAsync("test", "add", [PluginValue.I32(i), PluginValue.I32(1)])).ToArray();

        await Assert.ThrowsAsync<PluginTimeoutException>(() => first).DefaultTimeout();
        await Assert.ThrowsAsync<PluginTimeoutException>(() => second).DefaultTimeout();
        var sums = await Task.WhenAll(adds).DefaultTimeout();

        Assert.Equal(Enumerable.Range(1, 10), sums.Select(r => r.Values[0].AsI32()!.Value));
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((12L, 10L, 2L, 2L), (stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls, stats.Timeouts));
        Assert.Equal(0, stats.WorkerCrashes);
    }

    [Fact]
    public async Task InvokeAsync_WorkerKilledWhileCallsWaitForIt_TheWaitingCallsRunOnTheReplacement()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        var info = await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 5000\nfuel_limit = 1_000_000_000_000\nmax_instances = 1")).DefaultTimeout();

        // The spin holds the only instance; the adds wait for it in the supervisor, then the worker is killed under them.
        var spin = supervisor.InvokeAsync("test", "spin");
        await Task.Delay(300);
        var waiting = Enumerable.Range(0, 10).Select(i => supervisor.InvokeAsync("test", "add", [PluginValue.I32(i), PluginValue.I32(1)])).ToArray();
        await Task.Delay(200);
        using (var process = System.Diagnostics.Process.GetProcessById(info.WorkerPid!.Value))
        {
            process.Kill();
        }

        await Assert.ThrowsAsync<WorkerCrashedException>(() => spin).DefaultTimeout();
        var sums = await Task.WhenAll(waiting).DefaultTimeout();

        Assert.Equal(Enumerable.Range(1, 10), sums.Select(r => r.Values[0].AsI32()!.Value));
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((11L, 10L, 1L), (stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls));
    }

    [Fact]
    public async Task UnloadAsync_ACallWaitingInTheLanes_FailsItWithSandboxTerminatedAsAtTheGate()
    {
        var supervisor = CreateSupervisor(o => o.CoalesceCalls = true);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 1000\nfuel_limit = 1_000_000_000_000\nmax_instances = 1")).DefaultTimeout();
        var running = supervisor.InvokeAsync("test", "spin");
        await Task.Delay(100);
        var waiting = supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]);
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsQueued == 1, "the add waiting for the instance");

        // It waits past the gate, in the worker's lanes: queued, not running, and it leaves when the plugin goes.
        var busy = supervisor.GetPluginStats("test");
        var unload = supervisor.UnloadAsync("test");

        Assert.Equal((1, 1), (busy.CallsInFlight, busy.CallsQueued));
        var ex = await Assert.ThrowsAsync<PluginException>(() => waiting).DefaultTimeout();
        Assert.Equal(ErrorKind.SandboxTerminated, ex.Kind);
        await Assert.ThrowsAsync<PluginTimeoutException>(() => running).DefaultTimeout();
        await unload.DefaultTimeout();
        Assert.Empty(supervisor.ListPlugins());
    }

    [Fact]
    public async Task InvokeAsync_QueueFullInTheLanes_ThrowsOverloadedAsAtTheGate()
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.CoalesceCalls = true;
            o.MaxQueuedCalls = 1;
        });
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 1000\nfuel_limit = 1_000_000_000_000\nmax_instances = 1")).DefaultTimeout();
        var running = supervisor.InvokeAsync("test", "spin");
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsInFlight == 1, "the spin holding the only instance");
        var queued = supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]);
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsQueued == 1, "the add waiting in the lanes");

        // The gate would admit 64 per instance; the bound on waiting calls still holds, counted in the lanes.
        var ex = await Assert.ThrowsAsync<OverloadedException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();

        Assert.Equal(1, ex.Queued);
        await Assert.ThrowsAsync<PluginTimeoutException>(() => running).DefaultTimeout();
        Assert.Equal(2, (await queued.DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(1, supervisor.GetRuntimeStats().Overloads);
        Assert.Equal((2L, 1L, 1L), (supervisor.GetPluginStats("test").TotalCalls, supervisor.GetPluginStats("test").SuccessfulCalls, supervisor.GetPluginStats("test").FailedCalls));
    }

    [Fact]
    public async Task InvokeAsync_WaitingForABusyInstancePastTheQueueTimeout_FailsOverloadedAndIsCounted()
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.CoalesceCalls = true;
            o.QueueTimeout = TimeSpan.FromMilliseconds(100);
        });
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 1500\nfuel_limit = 1_000_000_000_000\nmax_instances = 1")).DefaultTimeout();

        // The spin holds the only instance until its 1.5 s (or, on a fast machine, its fuel) run out; the add behind it
        // gives up after 100 ms in the worker's lanes.
        var spin = supervisor.InvokeAsync("test", "spin");
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsInFlight == 1, "the spin holding the only instance");
        var ex = await Assert.ThrowsAsync<OverloadedException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(2)])).DefaultTimeout();

        Assert.Equal(ErrorKind.Overloaded, ex.Kind);
        Assert.Equal(1, supervisor.GetRuntimeStats().Overloads);
        var stopped = await Assert.ThrowsAnyAsync<PluginException>(() => spin).DefaultTimeout();
        Assert.Contains(stopped.Kind, new[] { ErrorKind.Timeout, ErrorKind.FuelExhausted });

        // As at the gate, the call that gave up waiting is an overload, not a call: only the spin counts.
        Assert.Equal((1L, 1L), (supervisor.GetPluginStats("test").TotalCalls, supervisor.GetPluginStats("test").FailedCalls));
    }
}

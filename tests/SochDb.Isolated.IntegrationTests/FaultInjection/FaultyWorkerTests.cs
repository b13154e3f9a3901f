using System.Diagnostics;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.FaultInjection;

/// <summary>
/// One test per fault the rogue worker can inject: the call fails with the right kind, the faulty worker is killed and
/// reaped, and the plugin beside it keeps serving during and after.
/// </summary>
public sealed class FaultyWorkerTests : FaultInjectionTestBase
{
    public static TheoryData<WireFormat> Formats => [WireFormat.MessagePackLengthPrefixed, WireFormat.JsonLengthPrefixed, WireFormat.JsonHeaders];

    [Fact]
    public async Task LoadAsync_WorkerSilentAfterConnecting_FailsWithWorkerCrashedOnceTheStartBudgetIsSpent()
    {
        // The budget also covers the healthy worker's start, which a busy machine can stretch past a second or two.
        var supervisor = await CreateArmedAsync("hang-handshake", o => o.WorkerStartTimeout = TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();

        var load = supervisor.LoadAsync("victim", Basic, Manifest(Grants, name: "victim"));
        await AssertHealthyAsync(supervisor);
        var ex = await Assert.ThrowsAnyAsync<PluginException>(() => load).DefaultTimeout();

        Assert.Equal(ErrorKind.WorkerCrashed, ex.Kind);
        Assert.Contains("connected but did not answer the handshake within 5.0 s and was killed", ex.Message, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(4.5), TimeSpan.FromSeconds(15));
        await AssertGoneAsync(AnnouncedPid("hang-handshake"));
        Assert.DoesNotContain(supervisor.ListPlugins(), p => p.Id == "victim");
        await AssertHealthyAsync(supervisor);
    }

    [Fact]
    public async Task LoadAsync_WorkerExitsBeforeConnecting_FailsWithWorkerCrashedAndItsExitCode()
    {
        var supervisor = await CreateArmedAsync("crash-at-start:42");

        var ex = await Assert.ThrowsAsync<WorkerCrashedException>(() => LoadVictimAsync(supervisor)).DefaultTimeout();

        Assert.Equal(42, ex.ExitCode);
        Assert.Contains("exited before connecting", ex.Message, StringComparison.Ordinal);
        await AssertGoneAsync(AnnouncedPid("crash-at-start:42"));
        await AssertHealthyAsync(supervisor);
    }

    [Fact]
    public async Task InvokeAsync_WorkerExitsMidCall_FailsWithWorkerCrashedAndKeepsTheAudit()
    {
        var supervisor = await CreateArmedAsync("crash-on-invoke:43");
        var victim = await LoadVictimAsync(supervisor);

        var ex = Assert.IsType<WorkerCrashedException>(await FailVictimCallAsync(supervisor));

        Assert.Equal(43, ex.ExitCode);
        await AssertGoneAsync(victim.WorkerPid!.Value);
        AssertVictimCallAudited(supervisor);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task InvokeAsync_WorkerWritesGarbage_FailsWithProtocolErrorAndKillsIt(WireFormat format)
    {
        var supervisor = await CreateArmedAsync("garbage-frame", o => o.WireFormat = format);
        var victim = await LoadVictimAsync(supervisor);
        var watch = Stopwatch.StartNew();

        var ex = await FailVictimCallAsync(supervisor);

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains("sent a malformed message and was killed", ex.Message, StringComparison.Ordinal);

        // Killed on the spot, not when the call's deadline (timeout + 5 s of grace) ran out.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
        await AssertGoneAsync(victim.WorkerPid!.Value);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1020 && e.Message.Contains($"Worker {victim.WorkerPid}", StringComparison.Ordinal));
        AssertVictimCallAudited(supervisor);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task InvokeAsync_WorkerClaimsAHugeFrame_FailsWithProtocolErrorWithoutBufferingIt(WireFormat format)
    {
        var supervisor = await CreateArmedAsync("oversized-frame", o => o.WireFormat = format);
        var victim = await LoadVictimAsync(supervisor);
        var before = MemoryNow();

        var ex = await FailVictimCallAsync(supervisor);

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains($"frame of {1536L << 20} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"limit of {96L << 20} bytes", ex.Message, StringComparison.Ordinal);
        await AssertGoneAsync(victim.WorkerPid!.Value);
        AssertMemoryBounded(before);
        AssertVictimCallAudited(supervisor);
    }

    [Fact]
    public async Task InvokeAsync_WorkerAnswersWithTheWrongType_FailsWithProtocolErrorAndKillsIt()
    {
        var supervisor = await CreateArmedAsync("wrong-response");
        var victim = await LoadVictimAsync(supervisor);

        var ex = await FailVictimCallAsync(supervisor);

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains("invoke answer could not be read", ex.Message, StringComparison.Ordinal);
        await AssertGoneAsync(victim.WorkerPid!.Value);
        AssertVictimCallAudited(supervisor);
    }

    [Fact]
    public async Task InvokeAsync_WorkerAnswersARequestNobodySent_FailsWithProtocolErrorAndKillsIt()
    {
        var supervisor = await CreateArmedAsync("wrong-response:unknown-id");
        var victim = await LoadVictimAsync(supervisor);
        var watch = Stopwatch.StartNew();

        var ex = await FailVictimCallAsync(supervisor);

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains("RemoteProtocolViolation", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
        await AssertGoneAsync(victim.WorkerPid!.Value);
    }

    [Fact]
    public async Task InvokeAsync_WorkerNeverAnswers_TimesOutAndKillsIt()
    {
        var supervisor = await CreateArmedAsync("hang-invoke", o => o.CallGrace = TimeSpan.FromMilliseconds(300));
        var victim = await LoadVictimAsync(supervisor);

        var ex = Assert.IsType<PluginTimeoutException>(await FailVictimCallAsync(supervisor));

        Assert.Equal(ErrorKind.Timeout, ex.Kind);
        Assert.True(ex.WorkerKilled);
        await AssertGoneAsync(victim.WorkerPid!.Value);
        AssertVictimCallAudited(supervisor);
    }

    [Theory]
    [InlineData("ignore-shutdown")]
    [InlineData("ignore-shutdown:silent")]
    public async Task UnloadAsync_WorkerIgnoresShutdown_KillsItOnceTheStopBudgetIsSpent(string mode)
    {
        // Answered-but-ignored, and never answered at all: neither may stall the stop ladder.
        var supervisor = await CreateArmedAsync(mode, o => o.WorkerStopTimeout = TimeSpan.FromMilliseconds(500));
        var victim = await LoadVictimAsync(supervisor);
        var answer = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, answer.Values[0].AsI32());
        var watch = Stopwatch.StartNew();

        await supervisor.UnloadAsync("victim").DefaultTimeout();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        await AssertGoneAsync(victim.WorkerPid!.Value);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1004 && e.Message.Contains($"Worker {victim.WorkerPid}", StringComparison.Ordinal) && e.Message.Contains("killed after ignoring the stop request", StringComparison.Ordinal));
        await AssertHealthyAsync(supervisor);
    }

    [Fact]
    public async Task InvokeAsync_WorkerFloodsStderr_KeepsAnsweringWithBoundedLogsAndMemory()
    {
        var supervisor = await CreateArmedAsync("flood-stderr");
        var before = MemoryNow();
        var watch = Stopwatch.StartNew();
        var victim = await LoadVictimAsync(supervisor);
        var pid = victim.WorkerPid!.Value;

        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            var answer = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
            Assert.Equal(2, answer.Values[0].AsI32());
            await AssertHealthyAsync(supervisor);
            await Task.Delay(100);
        }

        await supervisor.UnloadAsync("victim").DefaultTimeout();
        var seconds = Math.Ceiling(watch.Elapsed.TotalSeconds);
        await AssertGoneAsync(pid);

        var tag = $"worker {pid}]";
        var logged = Logs.Entries.Where(e => e.EventId.Id == 1002 && e.Message.Contains(tag, StringComparison.Ordinal)).ToList();
        Assert.InRange(logged.Count, 200, 200 * (seconds + 1));
        Assert.All(logged, e => Assert.True(e.Message.Length <= 4096 + 100, $"a logged line of {e.Message.Length} characters"));
        Assert.Contains(logged, e => e.Message.EndsWith("…[cut]", StringComparison.Ordinal));
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1021 && e.Message.Contains($"Worker {pid}", StringComparison.Ordinal));
        AssertMemoryBounded(before);
    }
}

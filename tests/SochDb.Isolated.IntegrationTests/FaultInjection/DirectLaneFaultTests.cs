using System.Diagnostics;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.FaultInjection;

/// <summary>A worker that breaks its direct call lane is killed at once; the call fails as a protocol error and nothing else is lost.</summary>
public sealed class DirectLaneFaultTests : FaultInjectionTestBase
{
    public static TheoryData<string> CallFaults => ["lane-unasked-host-call", "lane-garbage-kind", "lane-wrong-id", "lane-undecodable", "lane-oversized", "lane-close"];

    [Theory]
    [MemberData(nameof(CallFaults))]
    public async Task InvokeAsync_WorkerBreaksTheLane_FailsWithProtocolErrorKillsItAndOthersGoOn(string mode)
    {
        var supervisor = await CreateArmedAsync(mode, o => (o.DirectCalls, o.CallGrace) = (true, TimeSpan.FromSeconds(30)));
        var victim = await LoadVictimAsync(supervisor);
        var watch = Stopwatch.StartNew();

        var ex = await FailVictimCallAsync(supervisor);

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains("sent a malformed message and was killed", ex.Message, StringComparison.Ordinal);
        // Killed on the spot, not at the call's deadline (timeout + 30 s of grace); a closed lane first waits up to 2 s
        // for the worker to exit, to tell a crash from a violation.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(mode == "lane-close" ? 10 : 5), $"took {watch.Elapsed}");
        await AssertGoneAsync(victim.WorkerPid!.Value);
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1020 && e.Message.Contains($"Worker {victim.WorkerPid}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lane-bad-hello", "secret")]
    public async Task LoadAsync_WorkerBreaksTheLaneAtStart_FailsWithProtocolErrorAndOthersGoOn(string mode, string reason)
    {
        var supervisor = await CreateArmedAsync(mode, o => o.DirectCalls = true);

        var ex = await Assert.ThrowsAnyAsync<PluginException>(() => LoadVictimAsync(supervisor)).DefaultTimeout();

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        await AssertGoneAsync(AnnouncedPid(mode));
        await AssertHealthyAsync(supervisor);
    }
}

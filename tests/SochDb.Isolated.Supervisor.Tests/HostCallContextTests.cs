using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests;

/// <summary>A call's host-call scope: its budget restarts when a call that waited for an instance is actually sent.</summary>
public sealed class HostCallContextTests
{
    [Fact]
    public async Task Restart_TheFirstBudgetRanOutWhileTheCallWaited_GivesAFreshDeadline()
    {
        using var context = new HostCallContext(7, TimeSpan.FromMilliseconds(1), ["p"]);
        await Eventually.WaitForAsync(() => context.Deadline.IsCancellationRequested, "the first budget spent");

        context.Restart(TimeSpan.FromSeconds(30));

        Assert.False(context.Deadline.IsCancellationRequested);
        Assert.InRange(context.Expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Restart_WithBudgetLeft_MovesTheDeadlineFromNow()
    {
        using var context = new HostCallContext(7, TimeSpan.FromHours(1), ["p"]);

        context.Restart(TimeSpan.FromMilliseconds(1));

        Assert.True(context.Deadline.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)), "the restarted, shorter budget must run out");
    }

    [Fact]
    public void Restart_AfterTheCallEnded_DoesNothing()
    {
        var context = new HostCallContext(7, TimeSpan.FromSeconds(1), ["p"]);
        context.Dispose();

        context.Restart(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Resend_ACallHandedBackAfterItMadeHostCalls_IsAProtocolError()
    {
        using var context = new HostCallContext(7, TimeSpan.FromSeconds(1), ["p"]);
        Interlocked.Increment(ref context.HostCalls);

        var ex = Assert.Throws<PluginException>(() => PluginSupervisor.Resend("p", context, TimeSpan.FromSeconds(5)));

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Contains("handed back call 7 as not started after it had made host calls", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resend_ACallThatMadeNoHostCalls_RestartsItsBudget()
    {
        using var context = new HostCallContext(7, TimeSpan.FromMilliseconds(10), ["p"]);

        PluginSupervisor.Resend("p", context, TimeSpan.FromMinutes(1));

        Assert.True(context.Expires > DateTimeOffset.UtcNow + TimeSpan.FromSeconds(50));
    }
}

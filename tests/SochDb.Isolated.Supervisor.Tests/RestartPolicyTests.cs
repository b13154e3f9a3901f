using SochDb.Isolated.Supervisor.Plugins;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class RestartPolicyTests
{
    private static readonly TimeSpan Now = TimeSpan.FromHours(1);

    private static RestartPolicyOptions Policy(double jitter = 0) => new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(2),
        BackoffMultiplier = 2,
        Jitter = jitter,
        MaxFailures = 5,
        FailureWindow = TimeSpan.FromSeconds(60),
    };

    private static TimeSpan[] Ago(params double[] seconds) => [.. seconds.Select(s => Now - TimeSpan.FromSeconds(s))];

    [Theory]
    [InlineData(WorkerExitReason.None)]
    [InlineData(WorkerExitReason.Stopped)]
    public void Decide_StopNotAFailure_DoesNothing(WorkerExitReason reason)
    {
        var decision = RestartPolicy.Decide(reason, Ago(1, 2, 3, 4, 5, 6), Now, Policy(), 0.5);

        Assert.Equal(RestartAction.None, decision.Action);
        Assert.Equal(TimeSpan.Zero, decision.Delay);
    }

    [Theory]
    [InlineData(WorkerExitReason.Crashed)]
    [InlineData(WorkerExitReason.OutOfMemory)]
    [InlineData(WorkerExitReason.TimedOut)]
    [InlineData(WorkerExitReason.Unresponsive)]
    [InlineData(WorkerExitReason.ProtocolViolation)]
    [InlineData(WorkerExitReason.StartFailed)]
    public void Decide_FirstFailure_RestartsAfterInitialBackoff(WorkerExitReason reason)
    {
        var decision = RestartPolicy.Decide(reason, [], Now, Policy(), 0.5);

        Assert.Equal(RestartAction.Restart, decision.Action);
        Assert.Equal(TimeSpan.FromMilliseconds(100), decision.Delay);
        Assert.Equal(1, decision.FailuresInWindow);
    }

    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(3, 800)]
    public void Decide_EarlierFailuresInWindow_BackoffDoubles(int earlier, int expectedMs)
    {
        var history = Ago([.. Enumerable.Range(1, earlier).Select(i => (double)i)]);

        var decision = RestartPolicy.Decide(WorkerExitReason.Crashed, history, Now, Policy(), 0.5);

        Assert.Equal(RestartAction.Restart, decision.Action);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), decision.Delay);
    }

    [Fact]
    public void Decide_BackoffPastMaximum_IsCapped()
    {
        var policy = Policy();
        policy.MaxFailures = 100;

        var decision = RestartPolicy.Decide(WorkerExitReason.Crashed, Ago(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), Now, policy, 0.999);

        Assert.Equal(TimeSpan.FromSeconds(2), decision.Delay);
    }

    [Fact]
    public void Decide_FailuresOutsideWindow_AreForgotten()
    {
        var decision = RestartPolicy.Decide(WorkerExitReason.Crashed, Ago(61, 120, 300, 3000), Now, Policy(), 0.5);

        Assert.Equal(RestartAction.Restart, decision.Action);
        Assert.Equal(1, decision.FailuresInWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(100), decision.Delay);
    }

    [Fact]
    public void Decide_MaxFailuresInWindow_Quarantines()
    {
        var decision = RestartPolicy.Decide(WorkerExitReason.OutOfMemory, Ago(1, 2, 3, 59), Now, Policy(), 0.5);

        Assert.Equal(RestartAction.Quarantine, decision.Action);
        Assert.Equal(5, decision.FailuresInWindow);
        Assert.Contains("5 worker failures within 60 s", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("memory limit", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_OneBelowMax_StillRestarts()
    {
        var decision = RestartPolicy.Decide(WorkerExitReason.Crashed, Ago(1, 2, 3), Now, Policy(), 0.5);

        Assert.Equal(RestartAction.Restart, decision.Action);
        Assert.Equal(4, decision.FailuresInWindow);
    }

    [Theory]
    [InlineData(0.0, 80)]
    [InlineData(0.5, 100)]
    [InlineData(0.999999, 120)]
    public void Decide_Jitter_SpreadsDelayWithinBounds(double sample, int expectedMs)
    {
        var decision = RestartPolicy.Decide(WorkerExitReason.Crashed, [], Now, Policy(jitter: 0.2), sample);

        Assert.Equal(expectedMs, decision.Delay.TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void Decide_MaxFailuresOne_QuarantinesOnFirstFailure()
    {
        var policy = Policy();
        policy.MaxFailures = 1;

        Assert.Equal(RestartAction.Quarantine, RestartPolicy.Decide(WorkerExitReason.Crashed, [], Now, policy, 0.5).Action);
    }

    [Fact]
    public void Record_FailuresUpToMax_QuarantinesAndResetLiftsIt()
    {
        var health = new WorkerHealth();
        var policy = Policy();
        policy.InitialBackoff = TimeSpan.Zero;

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(RestartAction.Restart, health.Record(WorkerExitReason.Crashed, 139, policy).Action);
            Assert.Null(health.QuarantineReason);
        }

        var last = health.Record(WorkerExitReason.Crashed, 139, policy);

        Assert.Equal(RestartAction.Quarantine, last.Action);
        Assert.NotNull(health.QuarantineReason);
        Assert.Equal(WorkerExitReason.Crashed, health.LastExitReason);
        Assert.Equal(139, health.LastExitCode);
        Assert.True(health.Reset());
        Assert.Null(health.QuarantineReason);
        Assert.False(health.Reset());
        Assert.Equal(RestartAction.Restart, health.Record(WorkerExitReason.Crashed, 1, policy).Action);
    }

    [Fact]
    public void Record_StoppedWorker_NotCountedAndNoBackoff()
    {
        var health = new WorkerHealth();
        var policy = Policy();
        policy.MaxFailures = 1;

        Assert.Equal(RestartAction.None, health.Record(WorkerExitReason.Stopped, 0, policy).Action);
        Assert.Null(health.QuarantineReason);
        Assert.Equal(TimeSpan.Zero, health.RemainingBackoff());
    }

    [Fact]
    public void Record_Failure_SetsBackoffThatElapses()
    {
        var health = new WorkerHealth();
        var policy = Policy();
        policy.InitialBackoff = TimeSpan.FromSeconds(30);
        policy.MaxBackoff = TimeSpan.FromSeconds(30);

        health.Record(WorkerExitReason.Crashed, 1, policy);

        var left = health.RemainingBackoff();
        Assert.InRange(left, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(nameof(RestartPolicyOptions.MaxFailures))]
    [InlineData(nameof(RestartPolicyOptions.Jitter))]
    [InlineData(nameof(RestartPolicyOptions.BackoffMultiplier))]
    [InlineData(nameof(RestartPolicyOptions.MaxBackoff))]
    [InlineData(nameof(RestartPolicyOptions.FailureWindow))]
    public void Validate_OutOfRange_NamesTheOption(string option)
    {
        var policy = new RestartPolicyOptions();
        switch (option)
        {
            case nameof(RestartPolicyOptions.MaxFailures): policy.MaxFailures = 0; break;
            case nameof(RestartPolicyOptions.Jitter): policy.Jitter = 1.5; break;
            case nameof(RestartPolicyOptions.BackoffMultiplier): policy.BackoffMultiplier = double.NaN; break;
            case nameof(RestartPolicyOptions.MaxBackoff): policy.MaxBackoff = TimeSpan.FromMilliseconds(1); break;
            case nameof(RestartPolicyOptions.FailureWindow): policy.FailureWindow = TimeSpan.Zero; break;
        }

        var ex = Assert.Throws<ArgumentOutOfRangeException>(policy.Validate);
        Assert.Equal(option, ex.ParamName);
    }
}

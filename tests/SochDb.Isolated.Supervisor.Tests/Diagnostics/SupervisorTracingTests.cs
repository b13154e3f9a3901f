using System.Diagnostics;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Diagnostics;

namespace SochDb.Isolated.Supervisor.Tests.Diagnostics;

/// <summary>Span parenting across the worker boundary, and the tag values computed once.</summary>
public sealed class SupervisorTracingTests : IDisposable
{
    private readonly ActivityListener listener = new()
    {
        ShouldListenTo = source => source.Name == IsolatedPluginsTelemetry.ActivitySourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public SupervisorTracingTests() => ActivitySource.AddActivityListener(listener);

    public void Dispose() => listener.Dispose();

    [Fact]
    public void StartHostCall_EchoedTraceParentOfTheCallsTrace_ParentsOnIt()
    {
        var recorded = NewContext();
        var echoedSpan = ActivitySpanId.CreateRandom();
        var echoed = $"00-{recorded.TraceId}-{echoedSpan}-01";

        using var span = SupervisorTracing.StartHostCall("p", 3, 9, "read", echoed, recorded);

        Assert.NotNull(span);
        Assert.Equal(recorded.TraceId, span.TraceId);
        Assert.Equal(echoedSpan, span.ParentSpanId);
        Assert.Equal(true, span.GetTagItem("sochdb.trace.from_worker"));
        Assert.Equal(3L, span.GetTagItem(IsolatedPluginsTelemetry.GenerationTag));
        Assert.Equal(9L, span.GetTagItem(IsolatedPluginsTelemetry.CallIdTag));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a traceparent")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-and-more-text-to-make-it-long")]
    public void StartHostCall_EchoedTraceParentMissingForeignOrGarbage_ParentsOnTheRecordedSpan(string? echoed)
    {
        var recorded = NewContext();

        using var span = SupervisorTracing.StartHostCall("p", 1, 1, "read", echoed, recorded);

        Assert.NotNull(span);
        Assert.Equal(recorded.TraceId, span.TraceId);
        Assert.Equal(recorded.SpanId, span.ParentSpanId);
        Assert.Equal(false, span.GetTagItem("sochdb.trace.from_worker"));
    }

    [Fact]
    public void StartCall_UnderAnApplicationSpan_IsItsChildAndPassesItsOwnTraceParent()
    {
        using var outer = new Activity("app").SetIdFormat(ActivityIdFormat.W3C).Start();

        using var call = SupervisorTracing.StartCall("p", "f", batch: false);

        Assert.NotNull(call);
        Assert.Equal(outer.SpanId, call.ParentSpanId);
        Assert.Equal(call.Id, SupervisorTracing.CurrentTraceParent());
        Assert.Equal(55, SupervisorTracing.CurrentTraceParent()!.Length);
    }

    [Theory]
    [InlineData(ErrorKind.FuelExhausted, "fuel_exhausted")]
    [InlineData(ErrorKind.Timeout, "timeout")]
    [InlineData(ErrorKind.MemoryLimitExceeded, "memory_limit_exceeded")]
    [InlineData((ErrorKind)999, "unknown")]
    public void Of_ErrorKind_IsSnakeCase(ErrorKind kind, string expected) => Assert.Equal(expected, TelemetryNames.Of(kind));

    [Fact]
    public void Of_DecisionsAndExitReasons_AreSnakeCase()
    {
        Assert.Equal("limit_exceeded", TelemetryNames.Of(AuditDecision.LimitExceeded));
        Assert.Equal("unknown_function", TelemetryNames.Of(AuditDecision.UnknownFunction));
        Assert.Equal("out_of_memory", TelemetryNames.Of(WorkerExitReason.OutOfMemory));
        Assert.Equal("protocol_violation", TelemetryNames.Of(WorkerExitReason.ProtocolViolation));
    }

    private static ActivityContext NewContext() => new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
}

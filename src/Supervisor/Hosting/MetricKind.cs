namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>The kinds of metric <c>emit_metric</c> takes; the numbers are the ABI's.</summary>
public enum MetricKind
{
    /// <summary>A counter: values are added.</summary>
    Counter = 0,

    /// <summary>A gauge: the latest value counts.</summary>
    Gauge = 1,

    /// <summary>A histogram: every value is an observation.</summary>
    Histogram = 2,
}

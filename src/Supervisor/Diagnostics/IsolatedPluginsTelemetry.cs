namespace SochDb.Isolated.Supervisor.Diagnostics;

/// <summary>
/// The names under which the supervisor publishes metrics and traces, for <c>AddMeter</c> / <c>AddSource</c> in an
/// OpenTelemetry set-up or a <see cref="System.Diagnostics.Metrics.MeterListener"/>. Every instrument and tag is listed
/// in <c>docs/operations.md</c>.
/// </summary>
public static class IsolatedPluginsTelemetry
{
    /// <summary>The name of the supervisor's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "SochDb.Isolated";

    /// <summary>The name of the supervisor's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "SochDb.Isolated";

    /// <summary>Tag: the plugin id.</summary>
    public const string PluginIdTag = "sochdb.plugin.id";

    /// <summary>Tag: the plugin's generation (spans only: a new generation per reload would split every metric series).</summary>
    public const string GenerationTag = "sochdb.plugin.generation";

    /// <summary>Tag: the export called.</summary>
    public const string FunctionTag = "sochdb.function";

    /// <summary>Tag: how a call ended: <c>ok</c>, or the error kind in snake case (<c>timeout</c>, <c>fuel_exhausted</c>, …).</summary>
    public const string OutcomeTag = "sochdb.call.outcome";

    /// <summary>Tag: <c>invoke</c> or <c>batch</c>.</summary>
    public const string CallKindTag = "sochdb.call.kind";

    /// <summary>Tag: the host function a plugin called (<c>read</c>, <c>write</c>, <c>vector_search</c>, …).</summary>
    public const string HostFunctionTag = "sochdb.host.function";

    /// <summary>Tag: the supervisor's decision on a host call: <c>allowed</c>, <c>denied</c>, <c>invalid</c>, <c>unknown_function</c>, <c>limit_exceeded</c>, <c>failed</c>.</summary>
    public const string DecisionTag = "sochdb.host.decision";

    /// <summary>Tag: why a worker ended (<c>crashed</c>, <c>out_of_memory</c>, <c>timed_out</c>, …).</summary>
    public const string ExitReasonTag = "sochdb.worker.exit_reason";

    /// <summary>Tag: where a worker came from: <c>cold</c> (started for the plugin) or <c>pool</c> (adopted from the warm pool).</summary>
    public const string WorkerSourceTag = "sochdb.worker.source";

    /// <summary>Tag: the call id the supervisor gave the call (spans only).</summary>
    public const string CallIdTag = "sochdb.call.id";
}

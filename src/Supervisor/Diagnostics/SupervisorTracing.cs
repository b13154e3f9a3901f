using System.Diagnostics;
using static SochDb.Isolated.Supervisor.Diagnostics.IsolatedPluginsTelemetry;

namespace SochDb.Isolated.Supervisor.Diagnostics;

/// <summary>
/// The supervisor's spans: one per call or batch (<c>sochdb.invoke</c>, a client span: the work runs in another
/// process) and one per host call (<c>sochdb.host_call</c>, a server span: the worker asked the supervisor).
/// </summary>
internal static class SupervisorTracing
{
    /// <summary>Gets the source every span starts from.</summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName, typeof(SupervisorTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of a call, as a child of the caller's current span; <see langword="null"/> when nobody listens.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="function">The export.</param>
    /// <param name="batch">Whether it is a batch.</param>
    /// <returns>The span, or <see langword="null"/>.</returns>
    public static Activity? StartCall(string pluginId, string function, bool batch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(batch ? "sochdb.invoke_batch" : "sochdb.invoke", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.DisplayName = $"{(batch ? "batch" : "invoke")} {pluginId}.{function}";
            activity.SetTag(PluginIdTag, pluginId);
            activity.SetTag(FunctionTag, function);
            activity.SetTag(CallKindTag, batch ? "batch" : "invoke");
        }

        return activity;
    }

    /// <summary>
    /// Gets the W3C <c>traceparent</c> to send to the worker with a call: the current span's (the call's own when it is
    /// recorded, else the caller's), so the worker's host calls can name the span they belong to.
    /// </summary>
    /// <returns>The traceparent, or <see langword="null"/> when there is no W3C span.</returns>
    public static string? CurrentTraceParent()
        => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>
    /// Starts the span of a host call. Its parent is the span the worker named in the request's <c>traceparent</c>
    /// when that belongs to the call's own trace; the worker is untrusted, so any other value (another trace, garbage,
    /// nothing) falls back to the span the supervisor recorded when it sent the call — a worker cannot graft host
    /// calls onto someone else's trace.
    /// </summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="generation">The generation that made the call.</param>
    /// <param name="callId">The call it belongs to.</param>
    /// <param name="function">The host function (bounded by the caller).</param>
    /// <param name="echoed">The traceparent the worker sent.</param>
    /// <param name="recorded">The span context of the call, as the supervisor recorded it.</param>
    /// <returns>The span, or <see langword="null"/>.</returns>
    public static Activity? StartHostCall(string pluginId, long generation, long callId, string function, string? echoed, ActivityContext recorded)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = recorded;
        var fromWorker = false;
        if (echoed is { Length: 55 }
            && ActivityContext.TryParse(echoed, null, out var named)
            && named.TraceId == recorded.TraceId)
        {
            parent = named;
            fromWorker = true;
        }

        var activity = Source.StartActivity("sochdb.host_call", ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.DisplayName = $"host {function}";
            activity.SetTag(PluginIdTag, pluginId);
            activity.SetTag(GenerationTag, generation);
            activity.SetTag(CallIdTag, callId);
            activity.SetTag(HostFunctionTag, function);
            activity.SetTag("sochdb.trace.from_worker", fromWorker);
        }

        return activity;
    }

    /// <summary>Records a call's outcome on its span.</summary>
    /// <param name="activity">The span.</param>
    /// <param name="outcome">The outcome tag.</param>
    /// <param name="error">The failure, if any.</param>
    public static void End(Activity? activity, string outcome, Exception? error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(OutcomeTag, outcome);
        if (error is not null)
        {
            activity.SetTag("error.type", error is PluginException plugin ? TelemetryNames.Of(plugin.Kind) : error.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
    }
}

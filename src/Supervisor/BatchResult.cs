namespace SochDb.Isolated.Supervisor;

/// <summary>The outcome of <see cref="PluginSupervisor.InvokeBatchAsync"/>: one entry per argument row, in order.</summary>
/// <param name="Rows">Each row's results or error.</param>
/// <param name="FuelConsumed">The fuel all rows consumed together.</param>
/// <param name="RoundTrip">The time from sending the batch to the worker to receiving its answer.</param>
public sealed record BatchResult(IReadOnlyList<BatchRowResult> Rows, long FuelConsumed, TimeSpan RoundTrip)
{
    /// <summary>Gets how many rows succeeded.</summary>
    public int Succeeded => Rows.Count(r => r.Succeeded);

    /// <summary>Gets how many rows failed.</summary>
    public int Failed => Rows.Count - Succeeded;
}

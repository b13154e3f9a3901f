namespace SochDb.Isolated.Supervisor;

/// <summary>One row of a batch: its results, or the error it failed with, and what it consumed either way.</summary>
/// <param name="Values">The results, in order; empty when the row failed.</param>
/// <param name="Receipt">What the row consumed (zero for a row that did not run).</param>
/// <param name="Error">The row's failure, or <see langword="null"/> when it succeeded.</param>
public sealed record BatchRowResult(IReadOnlyList<PluginValue> Values, CallReceipt Receipt, PluginException? Error)
{
    /// <summary>Gets a value indicating whether the row succeeded.</summary>
    public bool Succeeded => Error is null;
}

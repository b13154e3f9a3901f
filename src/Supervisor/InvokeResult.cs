namespace SochDb.Isolated.Supervisor;

/// <summary>The results of a call and what it consumed.</summary>
/// <param name="Values">The results, in order.</param>
/// <param name="Receipt">What the call consumed.</param>
public sealed record InvokeResult(IReadOnlyList<PluginValue> Values, CallReceipt Receipt);

using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>One row of a packed batch: which export, its argument types, the row's limits and the ids its host calls carry.</summary>
/// <param name="CallId">The supervisor's id for the batch.</param>
/// <param name="Function">The export.</param>
/// <param name="Types">The argument types, all numeric.</param>
/// <param name="Fuel">The fuel the row may consume.</param>
/// <param name="TimeoutMs">The row's wall-clock budget in milliseconds.</param>
/// <param name="TraceParent">The supervisor's W3C <c>traceparent</c>, or <see langword="null"/>.</param>
/// <param name="Started">
/// The row's start as a <see cref="System.Diagnostics.Stopwatch"/> timestamp, taken once by the batch loop: a row of a
/// trivial export costs about a microsecond, and every clock read is a few percent of it.
/// </param>
internal readonly record struct PackedRowCall(long CallId, string Function, PluginValueType[] Types, long Fuel, long TimeoutMs, string? TraceParent, long Started);

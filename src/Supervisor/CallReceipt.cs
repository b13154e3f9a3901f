namespace SochDb.Isolated.Supervisor;

/// <summary>What one call consumed, measured by the worker.</summary>
/// <param name="FuelConsumed">The fuel consumed.</param>
/// <param name="Duration">The time spent in the guest (argument copying and the call).</param>
/// <param name="PeakMemoryBytes">The largest linear memory the plugin has used, in bytes.</param>
/// <param name="HostCalls">The host functions the guest called.</param>
/// <param name="Generation">The plugin generation that served the call.</param>
/// <param name="RoundTrip">The time from sending the call to the worker to receiving its answer.</param>
/// <param name="HostBytesIn">The bytes the guest passed to host functions.</param>
/// <param name="HostBytesOut">The bytes host functions returned to the guest.</param>
/// <param name="HostTime">The time the supervisor spent serving the call's host functions (inside <paramref name="Duration"/>).</param>
public sealed record CallReceipt(long FuelConsumed, TimeSpan Duration, long PeakMemoryBytes, long HostCalls, long Generation, TimeSpan RoundTrip, long HostBytesIn = 0, long HostBytesOut = 0, TimeSpan HostTime = default);

using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>What one packed row consumed; <see cref="Failure"/> holds the whole outcome of a row that failed.</summary>
/// <param name="FuelConsumed">The fuel the row consumed.</param>
/// <param name="DurationUs">The time spent in the guest, in microseconds.</param>
/// <param name="HostCalls">How many host functions the row called.</param>
/// <param name="PeakMemoryBytes">The largest linear memory seen as of the end of the row.</param>
/// <param name="Reinstantiated">Whether the instance was replaced for or by this row.</param>
/// <param name="Failure">The failed row's outcome, or <see langword="null"/> when it succeeded.</param>
internal readonly record struct PackedRowOutcome(long FuelConsumed, long DurationUs, long HostCalls, long PeakMemoryBytes, bool Reinstantiated, InvokeResponse? Failure)
{
    /// <summary>A failed row.</summary>
    /// <param name="failure">Its outcome.</param>
    /// <returns>The outcome, its figures copied from <paramref name="failure"/>.</returns>
    public static PackedRowOutcome Of(InvokeResponse failure)
        => new(failure.FuelConsumed, failure.DurationUs, failure.HostCalls, failure.PeakMemoryBytes, failure.Reinstantiated, failure);
}

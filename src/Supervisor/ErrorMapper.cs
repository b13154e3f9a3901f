using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Supervisor;

/// <summary>Turns the worker's error values into the runtime's typed exceptions.</summary>
internal static class ErrorMapper
{
    /// <summary>Creates the exception for a worker error.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="error">The worker's error.</param>
    /// <returns>The typed exception.</returns>
    public static PluginException ToException(string pluginId, WorkerError error) => error.Kind switch
    {
        ErrorKind.FuelExhausted => new FuelExhaustedException(pluginId, error.FuelConsumed, $"plugin '{pluginId}': {error.Message}"),
        ErrorKind.Timeout => new PluginTimeoutException(pluginId, SafeMilliseconds(error.ElapsedMs), workerKilled: false, $"plugin '{pluginId}': {error.Message}"),
        ErrorKind.MemoryLimitExceeded => new MemoryLimitExceededException(pluginId, error.UsedBytes, error.LimitBytes, $"plugin '{pluginId}' exceeded its memory limit: {error.UsedBytes} of {error.LimitBytes} bytes ({error.Message})"),
        ErrorKind.Trap => new PluginTrapException(pluginId, error.TrapCode, $"plugin '{pluginId}' trapped: {error.Message}"),
        _ when Enum.IsDefined(error.Kind) => new PluginException(error.Kind, pluginId, $"plugin '{pluginId}': {error.Message}"),
        _ => new PluginException(ErrorKind.ProtocolError, pluginId, $"the worker of plugin '{pluginId}' reported an unknown error kind {(int)error.Kind}: {error.Message}"),
    };

    /// <summary>Converts a worker-reported duration, which a broken worker may send as NaN or out of range.</summary>
    /// <param name="milliseconds">The reported milliseconds.</param>
    /// <returns>The duration, clamped to [0, 1 day].</returns>
    private static TimeSpan SafeMilliseconds(double milliseconds)
        => double.IsFinite(milliseconds) ? TimeSpan.FromMilliseconds(Math.Clamp(milliseconds, 0, TimeSpan.FromDays(1).TotalMilliseconds)) : TimeSpan.Zero;
}

using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>Generic Host integration events: loading the declared plugins, readiness, draining at stop (1200–1219).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 1200, EventName = "PluginsStarting", Level = LogLevel.Information, Message = "Loading {Count} declared plugins, at most {Parallelism} at a time")]
    public static partial void PluginsStarting(ILogger logger, int count, int parallelism);

    [LoggerMessage(EventId = 1201, EventName = "DeclaredPluginFailed", Level = LogLevel.Error, Message = "Declared plugin {PluginId} (manifest {Manifest}) failed to load")]
    public static partial void DeclaredPluginFailed(ILogger logger, string pluginId, string manifest, Exception exception);

    [LoggerMessage(EventId = 1202, EventName = "PluginsReady", Level = LogLevel.Information, Message = "Plugins ready: {Loaded} loaded, {Failed} failed, in {ElapsedMs:F0} ms")]
    public static partial void PluginsReady(ILogger logger, int loaded, int failed, double elapsedMs);

    [LoggerMessage(EventId = 1203, EventName = "PluginsStartFailed", Level = LogLevel.Critical, Message = "Plugin start failed ({Reason}); unloading the {Loaded} plugins already loaded")]
    public static partial void PluginsStartFailed(ILogger logger, string reason, int loaded);

    [LoggerMessage(EventId = 1204, EventName = "PluginsStopping", Level = LogLevel.Information, Message = "Not ready: draining and unloading {Count} plugins in reverse declaration order")]
    public static partial void PluginsStopping(ILogger logger, int count);

    [LoggerMessage(EventId = 1205, EventName = "PluginUnloadFailed", Level = LogLevel.Error, Message = "Plugin {PluginId} failed to unload")]
    public static partial void PluginUnloadFailed(ILogger logger, string pluginId, Exception exception);

    [LoggerMessage(EventId = 1206, EventName = "ShutdownBudgetSpent", Level = LogLevel.Warning, Message = "The host's shutdown budget ran out while plugins drained; the remaining workers were killed")]
    public static partial void ShutdownBudgetSpent(ILogger logger);

    [LoggerMessage(EventId = 1207, EventName = "PluginsStopped", Level = LogLevel.Information, Message = "Plugins stopped in {ElapsedMs:F0} ms ({Errors} errors)")]
    public static partial void PluginsStopped(ILogger logger, double elapsedMs, int errors);
}

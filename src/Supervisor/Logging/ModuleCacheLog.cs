using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Logging;

/// <summary>The supervisor's on-disk module cache log messages (event ids 1140–1149).</summary>
internal static partial class ModuleCacheLog
{
    /// <summary>Logs the cache directory in use, once per supervisor.</summary>
    [LoggerMessage(EventId = 1140, EventName = "ModuleCacheOpened", Level = LogLevel.Debug, Message = "Module cache in {Directory} (at most {MaxBytes} bytes)")]
    public static partial void Opened(ILogger logger, string directory, long maxBytes);

    /// <summary>Logs a cache directory that cannot be used safely; compiled modules stay in memory only.</summary>
    [LoggerMessage(EventId = 1141, EventName = "ModuleCacheUnusable", Level = LogLevel.Warning, Message = "Module cache {Directory} is not used, compiled modules stay in memory only: {Reason}")]
    public static partial void Unusable(ILogger logger, string directory, string reason);

    /// <summary>Logs a cached artifact that failed verification and was deleted; the module is compiled again.</summary>
    [LoggerMessage(EventId = 1142, EventName = "ModuleCacheArtifactRejected", Level = LogLevel.Warning, Message = "Cached artifact {File} of module {ModuleSha256} was rejected and deleted: {Reason}")]
    public static partial void ArtifactRejected(ILogger logger, string file, string moduleSha256, string reason);

    /// <summary>Logs an artifact that could not be written; the module stays cached in memory.</summary>
    [LoggerMessage(EventId = 1143, EventName = "ModuleCacheWriteFailed", Level = LogLevel.Warning, Message = "Artifact of module {ModuleSha256} could not be written to the module cache: {Reason}")]
    public static partial void WriteFailed(ILogger logger, string moduleSha256, string reason);

    /// <summary>Logs an artifact evicted because the cache passed its size bound.</summary>
    [LoggerMessage(EventId = 1144, EventName = "ModuleCacheEvicted", Level = LogLevel.Debug, Message = "Evicted {File} ({Bytes} bytes) from the module cache")]
    public static partial void Evicted(ILogger logger, string file, long bytes);

    /// <summary>Logs a cache file operation that failed but does not affect correctness.</summary>
    [LoggerMessage(EventId = 1145, EventName = "ModuleCacheMaintenanceFailed", Level = LogLevel.Debug, Message = "Module cache maintenance on {File} failed: {Reason}")]
    public static partial void MaintenanceFailed(ILogger logger, string file, string reason);

    /// <summary>Logs a module served from the disk cache without compiling.</summary>
    [LoggerMessage(EventId = 1146, EventName = "ModuleCacheDiskHit", Level = LogLevel.Debug, Message = "Module {ModuleSha256} for plugin {PluginId} loaded from the module cache")]
    public static partial void DiskHit(ILogger logger, string moduleSha256, string pluginId);
}

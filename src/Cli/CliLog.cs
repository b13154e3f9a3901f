using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Cli;

/// <summary>The command's log messages. Event ids 3000–3999 belong to the CLI.</summary>
internal static partial class CliLog
{
    /// <summary>A command failed unexpectedly.</summary>
    [LoggerMessage(EventId = 3001, EventName = "CommandFailed", Level = LogLevel.Critical, Message = "The command failed unexpectedly")]
    public static partial void CommandFailed(ILogger logger, Exception exception);
}

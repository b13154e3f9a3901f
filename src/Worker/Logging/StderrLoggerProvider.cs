using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Worker.Logging;

/// <summary>
/// Writes the worker's logs to standard error, one line per entry as <c>&lt;level digit&gt;|&lt;message&gt;</c>, so the
/// supervisor can re-log each entry at its level under the plugin's id. Standard output is never written.
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    private readonly LogLevel minimum;
    private readonly TextWriter writer;

    /// <summary>Initializes a new instance of the <see cref="StderrLoggerProvider"/> class.</summary>
    /// <param name="minimum">The least severe level written.</param>
    /// <param name="writer">Where lines go; standard error in the worker.</param>
    public StderrLoggerProvider(LogLevel minimum, TextWriter writer)
    {
        this.minimum = minimum;
        this.writer = writer;
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new LineLogger(this);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    /// <summary>Formats one entry as a single line; line breaks in the message are escaped so one entry stays one line.</summary>
    /// <param name="level">The entry's level.</param>
    /// <param name="message">The rendered message.</param>
    /// <returns>The line, without a terminator.</returns>
    internal static string FormatLine(LogLevel level, string message)
        => $"{(int)level}|{message.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}";

    private sealed class LineLogger(StderrLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message = $"{message} ({exception.GetType().Name}: {exception.Message})";
            }

            // Console.Error is synchronized and auto-flushed: a line is out before a crash can lose it.
            owner.writer.WriteLine(FormatLine(logLevel, message));
        }
    }
}

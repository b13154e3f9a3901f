using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>Keeps every log entry as "Level: message" so tests can assert on what the server logged.</summary>
internal sealed class CapturingLoggerProvider(ConcurrentQueue<string> entries) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(entries);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => entries.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}

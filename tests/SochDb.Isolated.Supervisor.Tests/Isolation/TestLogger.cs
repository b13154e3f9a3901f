using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SochDb.Isolated.Supervisor.Tests.Isolation;

/// <summary>Keeps every entry so tests can assert on what the isolation layer logged.</summary>
internal sealed class TestLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Entries.Enqueue((logLevel, eventId, formatter(state, exception)));

    public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Of(int eventId) => Entries.Where(e => e.EventId.Id == eventId).ToList();
}

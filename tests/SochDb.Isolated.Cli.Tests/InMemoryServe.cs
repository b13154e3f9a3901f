using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Nerdbank.Streams;
using SochDb.Isolated.Cli.Serve;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>A <see cref="ServeServer"/> over in-memory streams, with a real supervisor, a client and captured logs.</summary>
internal sealed class InMemoryServe : IAsyncDisposable
{
    private readonly SimplexStream toServer = new();
    private readonly SimplexStream fromServer = new();
    private readonly CancellationTokenSource cancel = new();
    private readonly ILoggerFactory loggerFactory;

    private InMemoryServe(long maxFrameBytes)
    {
        loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CapturingLoggerProvider(Logs)));
        Supervisor = new PluginSupervisor(new PluginSupervisorOptions { CallGrace = TimeSpan.FromSeconds(5) }, loggerFactory);
        var server = new ServeServer(Supervisor, loggerFactory.CreateLogger("serve"), maxFrameBytes);
        Run = Task.Run(async () =>
        {
            try
            {
                await server.RunAsync(toServer, fromServer, cancel.Token);
            }
            finally
            {
                // The CLI's process exit closes standard output; here the test does it, so the client sees the end.
                fromServer.CompleteWriting();
            }
        });
        Client = new JsonRpcTestClient(toServer, fromServer);
    }

    /// <summary>Gets the client.</summary>
    public JsonRpcTestClient Client { get; }

    /// <summary>Gets the server's run.</summary>
    public Task Run { get; }

    /// <summary>Gets the supervisor the server drives.</summary>
    public PluginSupervisor Supervisor { get; }

    /// <summary>Gets every log entry, as "Level: message".</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>Starts a server.</summary>
    public static InMemoryServe Start(long maxFrameBytes = ServeServer.DefaultMaxFrameBytes) => new(maxFrameBytes);

    /// <summary>Closes the server's input (EOF).</summary>
    public void CloseInput() => toServer.CompleteWriting();

    /// <summary>Cancels the server's token, as Ctrl+C does.</summary>
    public Task CancelAsync() => cancel.CancelAsync();

    /// <summary>Closes the input, waits for the server to stop, and returns every message it wrote that was not read yet.</summary>
    public async Task<List<JsonObject>> CloseAndDrainAsync()
    {
        CloseInput();
        await Run.DefaultTimeout();
        return await Client.ReadToEndAsync().DefaultTimeout();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await cancel.CancelAsync();
        toServer.CompleteWriting();
        try
        {
            await Run.DefaultTimeout();
        }
        finally
        {
            await Supervisor.DisposeAsync().AsTask().DefaultTimeout();
            loggerFactory.Dispose();
            cancel.Dispose();
            await toServer.DisposeAsync();
            await fromServer.DisposeAsync();
        }
    }
}

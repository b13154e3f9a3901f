using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// The <c>serve</c> protocol: JSON-RPC 2.0 with LSP-style <c>Content-Length</c> framing over a pair of streams
/// (standard input/output in the CLI), driving one <see cref="PluginSupervisor"/>. Specified in docs/serve-protocol.md.
/// </summary>
/// <remarks>
/// Written by hand rather than with StreamJsonRpc because the protocol must survive client mistakes: StreamJsonRpc
/// drops the connection on malformed JSON, this server answers -32700 and reads on. Requests run concurrently, each
/// on its own task, and are answered as they complete (possibly out of order); a calling client matches by id.
/// </remarks>
internal sealed class ServeServer
{
    /// <summary>The default largest frame body accepted: 64 MiB.</summary>
    public const long DefaultMaxFrameBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The most requests running at once. Past it the server stops reading until one finishes: back-pressure through
    /// the pipe rather than unbounded memory for a client that floods it.
    /// </summary>
    public const int MaxConcurrentRequests = 1024;

    private readonly PluginSupervisor supervisor;
    private readonly ILogger logger;
    private readonly long maxFrameBytes;
    private readonly ServeDispatcher dispatcher;

    /// <summary>Initializes a new instance of the <see cref="ServeServer"/> class.</summary>
    /// <param name="supervisor">The supervisor to drive; shut down when the server stops.</param>
    /// <param name="logger">Where protocol problems are logged (never the output stream).</param>
    /// <param name="maxFrameBytes">
    /// The largest frame body accepted, 1 to <see cref="Array.MaxLength"/>; a larger frame is answered with an error and skipped.
    /// </param>
    public ServeServer(PluginSupervisor supervisor, ILogger logger, long maxFrameBytes = DefaultMaxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(supervisor);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrameBytes, Array.MaxLength);
        this.supervisor = supervisor;
        this.logger = logger;
        this.maxFrameBytes = maxFrameBytes;
        dispatcher = new ServeDispatcher(supervisor);
    }

    /// <summary>
    /// Serves requests from <paramref name="input"/> until it ends, a <c>runtime.shutdown</c> request arrives, the
    /// output fails or <paramref name="cancellationToken"/> fires; then shuts the supervisor down, waits for running
    /// requests to be answered, and returns.
    /// </summary>
    /// <param name="input">Where requests come from; not disposed.</param>
    /// <param name="output">Where responses go; not disposed. Nothing else may write to it.</param>
    /// <param name="cancellationToken">Stops the server at once: running calls stop waiting and workers are killed.</param>
    /// <returns>A task that completes when the server has stopped and the supervisor is shut down.</returns>
    public async Task RunAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var reader = new FrameReader(input, maxFrameBytes);
        using var writer = new FrameWriter(output);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(MaxConcurrentRequests);
        var running = new ConcurrentDictionary<long, Task>();
        using var session = new ServeSession(writer, stopping, slots, cancellationToken);
        ServeLog.Started(logger, maxFrameBytes);

        var (reason, shutdownRequest) = await ReadLoopAsync(reader, session, running);
        using (shutdownRequest)
        {
            ServeLog.Stopping(logger, reason);
            try
            {
                // Graceful unless cancelled: running calls finish, then every worker stops.
                await supervisor.ShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Cancelled: the supervisor killed the workers instead of waiting.
            }

            // Requests still running fail fast now (the supervisor is shut down) and are answered before we return.
            await Task.WhenAll(running.Values);

            // runtime.shutdown is answered last, so a client that sees its answer knows every worker is gone.
            if (shutdownRequest is { IsNotification: false })
            {
                await SendAsync(session, JsonRpcResponses.Result(shutdownRequest.Id, null));
            }
        }
    }

    private async Task<(string Reason, JsonRpcRequest? Shutdown)> ReadLoopAsync(FrameReader reader, ServeSession session, ConcurrentDictionary<long, Task> running)
    {
        long sequence = 0;
        while (true)
        {
            FrameReadResult frame;
            try
            {
                // WaitAsync as well as the token: a console stream may not honour cancellation of a pending read.
                frame = await reader.ReadAsync(session.Stopping.Token).AsTask().WaitAsync(session.Stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return (session.CancellationToken.IsCancellationRequested ? "cancelled" : "the output failed", null);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                ServeLog.InputFailed(logger, ex);
                return ("the input failed", null);
            }

            switch (frame.Status)
            {
                case FrameReadStatus.EndOfStream:
                    if (frame.Error is { } truncated)
                    {
                        ServeLog.InputTruncated(logger, truncated);
                    }

                    return ("the input ended", null);

                case FrameReadStatus.Malformed:
                    ServeLog.FrameRefused(logger, frame.Error!);
                    await SendAsync(session, JsonRpcResponses.Error(null, JsonRpcErrorCodes.ParseError, $"parse error: {frame.Error}", null));
                    continue;

                case FrameReadStatus.Oversized:
                    ServeLog.FrameRefused(logger, frame.Error!);
                    await SendAsync(session, JsonRpcResponses.Error(null, JsonRpcErrorCodes.InvalidRequest, $"invalid request: {frame.Error}", null));
                    continue;
            }

            var request = Parse(frame.Body, out var refusal);
            if (request is null)
            {
                await SendAsync(session, refusal!);
                continue;
            }

            if (request.Method == ServeMethods.RuntimeShutdown)
            {
                // Decided here, in order, rather than on a request task: frames after it are not read.
                return ("runtime.shutdown was requested", request);
            }

            try
            {
                await session.Slots.WaitAsync(session.Stopping.Token);
            }
            catch (OperationCanceledException)
            {
                request.Dispose();
                return (session.CancellationToken.IsCancellationRequested ? "cancelled" : "the output failed", null);
            }

            var key = sequence++;
            var task = Task.Run(() => HandleAsync(request, session));
            running[key] = task;
            _ = task.ContinueWith(_ => running.TryRemove(key, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Parses a frame's body into a request, or builds the error response that refuses it.</summary>
    private JsonRpcRequest? Parse(ReadOnlyMemory<byte> body, out byte[]? refusal)
    {
        refusal = null;
        try
        {
            if (JsonRpcRequest.TryParse(body, out var request, out var error, out var errorId))
            {
                return request;
            }

            ServeLog.RequestRefused(logger, error.Code, error.Message);
            refusal = JsonRpcResponses.Error(errorId, error.Code, error.Message, null);
        }
        catch (Exception ex)
        {
            // A bug in validation must cost one request, not the session.
            ServeLog.RequestCrashed(logger, "(unparsed)", ex);
            refusal = JsonRpcResponses.Error(null, JsonRpcErrorCodes.InternalError, $"internal error: {ex.Message}", null);
        }

        return null;
    }

    /// <summary>Runs one request and answers it. Never throws: every failure becomes an error response or a log entry.</summary>
    private async Task HandleAsync(JsonRpcRequest request, ServeSession session)
    {
        try
        {
            using (request)
            {
                byte[] response;
                try
                {
                    var result = await dispatcher.DispatchAsync(request.Method, request.Params, session.CancellationToken);
                    response = JsonRpcResponses.Result(request.Id, result);
                }
                catch (JsonRpcException ex)
                {
                    response = Fail(request, ex.Code, ex.Message, ex.ErrorData);
                }
                catch (PluginException ex)
                {
                    response = Fail(request, JsonRpcErrorCodes.PluginError, ex.Message, PluginErrorData.From(ex));
                }
                catch (OperationCanceledException) when (session.CancellationToken.IsCancellationRequested)
                {
                    var shutdown = new PluginException(ErrorKind.RuntimeShutdown, null, "the server is shutting down");
                    response = Fail(request, JsonRpcErrorCodes.PluginError, shutdown.Message, PluginErrorData.From(shutdown));
                }
                catch (Exception ex)
                {
                    ServeLog.RequestCrashed(logger, request.Method, ex);
                    response = Fail(request, JsonRpcErrorCodes.InternalError, $"internal error: {ex.Message}", null);
                }

                if (!request.IsNotification)
                {
                    await SendAsync(session, response);
                }
            }
        }
        finally
        {
            session.Slots.Release();
        }
    }

    private byte[] Fail(JsonRpcRequest request, int code, string message, JsonObject? data)
    {
        if (request.IsNotification)
        {
            ServeLog.NotificationFailed(logger, request.Method, message);
        }

        return JsonRpcResponses.Error(request.Id, code, message, data);
    }

    /// <summary>Writes a response; when the output fails, logs it and stops the server (the client is gone).</summary>
    private async Task SendAsync(ServeSession session, byte[] body)
    {
        if (session.OutputFailed)
        {
            return;
        }

        try
        {
            await session.Writer.WriteAsync(body, session.WriteToken);
        }
        catch (OperationCanceledException) when (session.WriteToken.IsCancellationRequested)
        {
            // Cancelled, and the grace for last answers is over.
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
        {
            if (session.MarkOutputFailed())
            {
                ServeLog.OutputFailed(logger, ex);
                await session.Stopping.CancelAsync();
            }
        }
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Direct;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// The supervisor's end of a worker's direct call lane (<see cref="PluginSupervisorOptions.DirectCalls"/>): a second
/// socket beside the JSON-RPC channel that carries one call at a time, and the host calls it makes, in binary frames
/// (<see cref="DirectFrame"/>). The caller's thread reads its call's frames for a short while after sending it
/// (<see cref="PluginSupervisorOptions.DirectCallSpin"/>), so a short call completes before the caller awaits it; after
/// that a dedicated reader thread takes over and completes the caller's task. The worker runs the call on its own
/// dedicated thread. That takes the JSON-RPC dispatch and its thread hand-offs off the round trip (docs/benchmarks.md).
/// A call that finds the lane busy goes over the channel, as before.
/// </summary>
/// <remarks>
/// Anything the worker sends that this end did not ask for — a result with no call in flight or for another call, a
/// host call outside a call, an unknown or oversized frame, an undecodable payload — is a protocol violation: the owner
/// kills the worker, and the call in flight fails. Exactly one thread reads the socket at a time: the caller while it
/// polls, then the reader thread from when the caller hands it a turn until the call is answered. Between calls nobody
/// reads, so anything a worker sends unasked is found by the next call's read.
/// </remarks>
internal sealed class DirectLane : IDisposable
{
    /// <summary>A call whose frame is at most this large is written on the caller's thread; a larger one from the pool, so a worker that stops reading cannot hold the caller before its deadline runs.</summary>
    internal const int InlineSendBytes = 64 * 1024;

    /// <summary>How much of a worker's rejection reason is kept.</summary>
    private const int MaxReasonBytes = 1024;

    private readonly Socket socket;
    private readonly DirectFrameReader reader;
    private readonly WireFormat wire;
    private readonly Func<HostCallRequest, CancellationToken, Task<HostCallResponse>> hostCalls;
    private readonly Action<string> violated;
    private readonly TimeSpan spin;
    private readonly Lock writeLock = new();

    /// <summary>Released when a caller hands the reading of its call's frames to the reader thread.</summary>
    private readonly SemaphoreSlim readerTurn = new(0, 1);

    /// <summary>The host calls whose answers are still being worked out, by sequence number; guarded by itself.</summary>
    private readonly Dictionary<long, CancellationTokenSource> hostCallsInFlight = [];
    private TaskCompletionSource<InvokeResponse>? pending;
    private long pendingId;
    private int busy;
    private int closed;

    private DirectLane(Socket socket, DirectFrameReader reader, WireFormat wire, Func<HostCallRequest, CancellationToken, Task<HostCallResponse>> hostCalls, Action<string> violated, TimeSpan spin)
    {
        this.spin = spin;
        this.socket = socket;
        this.reader = reader;
        this.wire = wire;
        this.hostCalls = hostCalls;
        this.violated = violated;
    }

    /// <summary>Gets a value indicating whether the lane can still carry calls.</summary>
    public bool IsOpen => Volatile.Read(ref closed) == 0;

    /// <summary>Creates the listening socket the worker connects its lane to, reachable by this user only.</summary>
    /// <param name="path">The socket's path.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="SocketException">The socket cannot be created.</exception>
    /// <exception cref="ArgumentException">The path is too long for a Unix domain socket.</exception>
    public static Socket Listen(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
            {
                // Between bind and this line another user could connect; the secret in the worker's hello covers that.
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(1);
            return listener;
        }
        catch
        {
            listener.Dispose();
            DeleteFile(path);
            throw;
        }
    }

    /// <summary>
    /// Accepts the worker's connection and checks its hello (the bootstrap secret), polling so that a worker that dies
    /// or a start budget that runs out ends the wait. The lane is not read until <see cref="Start"/>.
    /// </summary>
    /// <param name="listener">The listener from <see cref="Listen"/>; the caller disposes it.</param>
    /// <param name="secret">The bootstrap secret.</param>
    /// <param name="wire">The payloads' encoding.</param>
    /// <param name="maxFrameBytes">The largest payload the worker may send.</param>
    /// <param name="hostCalls">Answers the worker's host calls.</param>
    /// <param name="violated">Told when the worker breaks the lane's protocol; kills it.</param>
    /// <param name="gone">Whether the worker has exited.</param>
    /// <param name="spin">How long to poll for a call's next frame after sending it or answering one of its host calls.</param>
    /// <param name="cancellationToken">The start budget.</param>
    /// <returns>The lane, or <see langword="null"/> when the worker exited first.</returns>
    /// <exception cref="InvalidDataException">The peer did not prove to be the worker.</exception>
    /// <exception cref="OperationCanceledException">The budget ran out.</exception>
    public static Task<DirectLane?> AcceptAsync(
        Socket listener,
        string secret,
        WireFormat wire,
        long maxFrameBytes,
        Func<HostCallRequest, CancellationToken, Task<HostCallResponse>> hostCalls,
        Action<string> violated,
        Func<bool> gone,
        TimeSpan spin,
        CancellationToken cancellationToken)
    {
        // Blocking calls on a pool thread, never the socket's asynchronous methods: those would switch the socket to the
        // runtime's event loop for good, and every later read would pay its hand-off, which is what the lane avoids.
        return Task.Run(
            () =>
            {
                const int SliceMicroseconds = 20_000;
                while (!listener.Poll(SliceMicroseconds, SelectMode.SelectRead))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (gone())
                    {
                        return null;
                    }
                }

                var socket = listener.Accept();
                try
                {
                    socket.Blocking = true;
                    var reader = new DirectFrameReader(socket, maxFrameBytes);
                    DirectFrame hello;
                    while (!reader.TryRead(TimeSpan.FromMicroseconds(SliceMicroseconds), out hello))
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (gone())
                        {
                            socket.Dispose();
                            return null;
                        }
                    }

                    if (hello.Kind != DirectFrameKind.Hello || !CryptographicOperations.FixedTimeEquals(hello.Payload.Span, Encoding.UTF8.GetBytes(secret)))
                    {
                        throw new InvalidDataException("the direct lane's peer did not present the worker's secret");
                    }

                    return new DirectLane(socket, reader, wire, hostCalls, violated, spin);
                }
                catch (Exception ex) when (ex is EndOfStreamException or SocketException)
                {
                    socket.Dispose();
                    throw new InvalidDataException($"the direct lane's peer left before its hello: {ex.Message}", ex);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            cancellationToken);
    }

    /// <summary>Starts the lane's reader thread; it reads only the calls handed to it.</summary>
    /// <param name="name">The thread's name, for diagnostics.</param>
    public void Start(string name) => new Thread(Read) { IsBackground = true, Name = name }.Start();

    /// <summary>Takes the lane for one call; whoever reads the call's answer frees it.</summary>
    /// <returns><see langword="true"/> when the lane is open and was free.</returns>
    public bool TryAcquire() => IsOpen && Interlocked.CompareExchange(ref busy, 1, 0) == 0;

    /// <summary>
    /// Sends the call and reads its frames on the calling thread for up to the lane's poll time, answering its host
    /// calls; a call not answered by then is handed to the reader thread. Call only after <see cref="TryAcquire"/>
    /// succeeded.
    /// </summary>
    /// <param name="request">The call.</param>
    /// <returns>
    /// The worker's answer, often already completed. Faults with <see cref="IOException"/> when the lane closes first (the worker died or broke
    /// the protocol), or <see cref="DirectLaneRejectedException"/> when the worker refused the call.
    /// </returns>
    public Task<InvokeResponse> InvokeAsync(InvokeRequest request)
    {
        var call = new TaskCompletionSource<InvokeResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] payload;
        try
        {
            payload = DirectCodec.Encode(request, wire);
        }
        catch
        {
            Volatile.Write(ref busy, 0);
            throw;
        }

        Volatile.Write(ref pendingId, request.CallId);
        if (CheckBetweenCalls() is { } problem)
        {
            // The lane is closed now (and the worker killed if it sent something unasked); the lane stays taken.
            return Task.FromException<InvokeResponse>(new IOException($"the direct call lane closed: {problem}"));
        }

        // A full fence, not a volatile write: the read of closed below must not move before it, or a Close running now
        // could miss this call and leave it to its deadline.
        Interlocked.Exchange(ref pending, call);
        if (!IsOpen)
        {
            // Closed between the caller's TryAcquire and now: whoever closed it may have looked for the call before it
            // was set, so it is failed here.
            call.TrySetException(new IOException("the direct call lane is closed"));
            return call.Task;
        }

        if (payload.Length <= InlineSendBytes)
        {
            Send(DirectFrameKind.Invoke, request.CallId, payload);
            if (spin > TimeSpan.Zero)
            {
                PollForAnswer(call.Task);
            }
        }
        else
        {
            _ = Task.Run(() => Send(DirectFrameKind.Invoke, request.CallId, payload));
        }

        if (!call.Task.IsCompleted)
        {
            // From here the reader thread reads the call's frames: the caller's thread no longer touches the socket.
            WakeReader();
        }

        return call.Task;
    }

    /// <summary>
    /// Closes the lane now, failing the call in flight: at its deadline, so that a send blocked on a worker that stopped
    /// reading (the caller's, or a host call's answer) returns too.
    /// </summary>
    /// <param name="callId">The call whose deadline passed: the lane is closed only while that call is still in flight.</param>
    /// <param name="reason">Why, for the call's error.</param>
    public void Abort(long callId, string reason)
    {
        // A call that completes as its timer fires leaves the lane open (at worst a race lost here closes it, and calls
        // go over the channel from then on).
        if (Volatile.Read(ref pending) is not null && Volatile.Read(ref pendingId) == callId)
        {
            Close(reason);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Close("the supervisor closed it");
        socket.Dispose();
    }

    /// <summary>Removes a socket file (a lane's, or the channel's), if it is still there; best effort.</summary>
    /// <param name="path">The socket's path, or <see langword="null"/>.</param>
    internal static void DeleteFile(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a connected socket does not need its file, and a stale one is only clutter in the temp folder.
        }
    }

    /// <summary>
    /// Reads the call's frames on the caller's thread for up to <see cref="spin"/> from the send, answering the host calls
    /// that come meanwhile, so that a call answered within that time completes before the caller awaits it: no thread
    /// wakes up for the answer and no continuation goes through the thread pool. On this VM a blocked thread's wake-up
    /// costs more than a short call's whole round trip. The window is fixed: however many host calls a worker makes, the
    /// caller's thread (a pool thread, usually) is given back after it, and the reader thread answers the rest.
    /// </summary>
    private void PollForAnswer(Task<InvokeResponse> call)
    {
        var until = Stopwatch.GetTimestamp() + (long)(spin.TotalSeconds * Stopwatch.Frequency);
        try
        {
            for (var round = 1; !call.IsCompleted && Stopwatch.GetTimestamp() < until; round++)
            {
                // A frame that has not fully arrived stays buffered for the next read, here or on the reader thread.
                if ((reader.HasBufferedBytes || socket.Available > 0) && reader.TryRead(TimeSpan.Zero, out var frame))
                {
                    Dispatch(frame);
                }
                else
                {
                    DirectFrameReader.Pause(round);
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>
    /// Looks at what the worker did since the last call: a sound worker sends nothing between calls and keeps its end
    /// open. Between calls nobody reads, so this is where anything else is found.
    /// </summary>
    /// <returns>
    /// <see langword="null"/> when the lane is fit for the next call; otherwise why not, with the lane closed — as a
    /// protocol violation when the worker sent something unasked.
    /// </returns>
    private string? CheckBetweenCalls()
    {
        string violation;
        try
        {
            if (!reader.HasBufferedBytes && !socket.Poll(0, SelectMode.SelectRead))
            {
                return null;
            }

            if (!reader.HasBufferedBytes && socket.Available == 0)
            {
                // Readable with nothing to read: the worker's end is closed. Whoever fails the call tells a worker that
                // exited from one that closed its lane and lives on (a violation too).
                const string Closed = "the worker closed it between calls";
                Close(Closed);
                return Closed;
            }

            violation = reader.TryRead(TimeSpan.Zero, out var frame)
                ? frame.Kind == DirectFrameKind.HostCall
                    ? $"made host call {frame.Id} with no call in flight on its direct lane"
                    : $"sent a {frame.Kind} frame ({frame.Id}) on its direct lane with no call in flight"
                : "sent bytes on its direct lane with no call in flight";
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            violation = $"sent something malformed on its direct lane with no call in flight ({ex.Message})";
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed or disposed by this end (Dispose racing the call): not the worker's doing.
            Close(ex.Message);
            return ex.Message;
        }

        Violate(violation);
        return violation;
    }

    /// <summary>Gives the reader thread a turn: to read the call in flight, or to see that the lane closed and end.</summary>
    private void WakeReader()
    {
        try
        {
            readerTurn.Release();
        }
        catch (SemaphoreFullException)
        {
            // A turn is already waiting (a Close raced this caller's hand-over): the reader wakes once and finds out why.
        }
    }

    /// <summary>The reader thread: reads a call's frames from when its caller hands them over until the call is answered.</summary>
    private void Read()
    {
        try
        {
            while (IsOpen)
            {
                readerTurn.Wait();
                while (IsOpen && Volatile.Read(ref pending) is not null)
                {
                    reader.TryRead(null, out var frame);
                    if (!Dispatch(frame))
                    {
                        // The call is answered (or the lane is closed); the next caller reads from here on.
                        break;
                    }

                    if (spin > TimeSpan.Zero)
                    {
                        // The call's next host call or its result usually follows within microseconds: poll before
                        // blocking, as a blocked thread's wake-up costs more than that on a VM.
                        reader.SpinForBytes(spin);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>Acts on one frame of the call in flight.</summary>
    /// <returns><see langword="true"/> when the call goes on (the frame was one of its host calls); <see langword="false"/> when it is answered or the lane closed.</returns>
    private bool Dispatch(DirectFrame frame)
    {
        switch (frame.Kind)
        {
            case DirectFrameKind.InvokeResult:
                var response = DirectCodec.DecodeInvokeResponse(frame.Payload, wire);
                Complete(frame.Id)?.TrySetResult(response);
                return false;
            case DirectFrameKind.InvokeRejected:
                var reason = Encoding.UTF8.GetString(frame.Payload.Span[..Math.Min(frame.Payload.Length, MaxReasonBytes)]);
                Complete(frame.Id)?.TrySetException(new DirectLaneRejectedException(reason));
                return false;
            case DirectFrameKind.HostCall:
                if (Volatile.Read(ref pending) is null)
                {
                    Violate($"made host call {frame.Id} with no call in flight on its direct lane");
                    return false;
                }

                Answer(frame.Id, DirectCodec.DecodeHostCallRequest(frame.Payload, wire));
                return IsOpen;
            default:
                Violate($"sent a {frame.Kind} frame on its direct lane, which only the supervisor sends");
                return false;
        }
    }

    /// <summary>Closes the lane for a failed read: the worker's end closed or failed, or it broke the protocol.</summary>
    private void Fail(Exception ex)
    {
        switch (ex)
        {
            case EndOfStreamException or SocketException or ObjectDisposedException:
                Close(ex.Message);
                break;
            case InvalidDataException:
                Violate(ex.Message);
                break;
            default:
                // Nothing may escape a dedicated thread (it would end the process); whatever this is, the lane is unusable.
                Violate($"its direct lane failed: {ex.GetType().Name}: {ex.Message}");
                break;
        }
    }

    /// <summary>Takes the call in flight for its answer and frees the lane; an answer to anything else is a violation.</summary>
    private TaskCompletionSource<InvokeResponse>? Complete(long id)
    {
        var call = Volatile.Read(ref pending);
        if (call is null || id != Volatile.Read(ref pendingId))
        {
            Violate(call is null ? $"answered call {id} on its direct lane with no call in flight" : $"answered call {id} on its direct lane while call {Volatile.Read(ref pendingId)} was in flight");
            return null;
        }

        // The worker is done with the call, so with every host call it made: answers still being worked out are dropped.
        CancelHostCalls(long.MaxValue);
        Volatile.Write(ref pending, null);
        Volatile.Write(ref busy, 0);
        return call;
    }

    /// <summary>
    /// Answers a host call: at once when the handler completes synchronously, else when it does, from its continuation.
    /// A sound worker waits for one answer at a time and sends its next host call only once it has the answer or gave up
    /// waiting (its budget ran out), so a new host call cancels the older ones still being worked out (their answers
    /// would be skipped), as the channel's cancellation notice does; the end of the call cancels them all. At most one
    /// answer is therefore ever owed, and none is written to a worker that no longer waits for it.
    /// </summary>
    private void Answer(long sequence, HostCallRequest request)
    {
        CancelHostCalls(sequence);
        var cancellation = new CancellationTokenSource();
        lock (hostCallsInFlight)
        {
            hostCallsInFlight[sequence] = cancellation;
        }

        Task<HostCallResponse> answer;
        try
        {
            answer = hostCalls(request, cancellation.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // As the channel turns a throwing handler into an error answer: the guest sees a host error.
            answer = Task.FromResult(new HostCallResponse { Status = HostStatus.HostError });
        }

        if (answer.IsCompleted)
        {
            Reply(sequence, answer.IsCompletedSuccessfully ? answer.Result : null);
        }
        else
        {
            _ = ReplyLaterAsync(sequence, answer);
        }
    }

    private async Task ReplyLaterAsync(long sequence, Task<HostCallResponse> answer)
    {
        HostCallResponse? response;
        try
        {
            response = await answer.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            response = null;
        }

        Reply(sequence, response);
    }

    /// <summary>Writes a host call's answer unless the worker stopped waiting for it (the host call was cancelled).</summary>
    private void Reply(long sequence, HostCallResponse? response)
    {
        CancellationTokenSource? cancellation;
        lock (hostCallsInFlight)
        {
            hostCallsInFlight.Remove(sequence, out cancellation);
        }

        var wanted = cancellation is { IsCancellationRequested: false };
        cancellation?.Dispose();
        if (wanted)
        {
            Send(DirectFrameKind.HostCallResult, sequence, DirectCodec.Encode(response ?? new HostCallResponse { Status = HostStatus.HostError }, wire));
        }
    }

    /// <summary>Cancels the host calls older than <paramref name="sequence"/> whose answers are still being worked out; each is removed when its handler ends.</summary>
    private void CancelHostCalls(long sequence)
    {
        List<CancellationTokenSource>? cancelled = null;
        lock (hostCallsInFlight)
        {
            foreach (var (older, cancellation) in hostCallsInFlight)
            {
                if (older < sequence && !cancellation.IsCancellationRequested)
                {
                    (cancelled ??= []).Add(cancellation);
                }
            }
        }

        // Outside the lock: a handler's cancellation callbacks run inline. A handler that ends meanwhile disposes its
        // source, which a late Cancel here must survive.
        cancelled?.ForEach(static c =>
        {
            try
            {
                c.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Its handler ended and answered (or was dropped) first.
            }
        });
    }

    private void Send(DirectFrameKind kind, long id, byte[] payload)
    {
        try
        {
            lock (writeLock)
            {
                DirectFrame.Write(socket, kind, id, payload);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Close(ex.Message);
        }
    }

    private void Violate(string violation)
    {
        violated(violation);
        Close(violation);
    }

    /// <summary>Closes the lane once and fails the call in flight with an <see cref="IOException"/>.</summary>
    private void Close(string reason)
    {
        if (Interlocked.Exchange(ref closed, 1) != 0)
        {
            return;
        }

        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }

        CancelHostCalls(long.MaxValue);
        Interlocked.Exchange(ref pending, null)?.TrySetException(new IOException($"the direct call lane closed: {reason}"));

        // Lets the reader thread end, wherever it waits.
        WakeReader();
    }
}

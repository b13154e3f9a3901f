using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Direct;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Logging;

namespace SochDb.Isolated.Worker.Direct;

/// <summary>
/// The worker's end of the direct call lane: one dedicated thread that reads a call, runs it on itself, answers its
/// host calls' round trips over the same socket, and writes the result — no thread-pool hop, no JSON-RPC dispatch
/// (docs/architecture.md, "Direct calls"). The supervisor sends one call at a time on the lane; the JSON-RPC channel
/// carries everything else, and calls beyond the first when several run at once.
/// </summary>
internal sealed class DirectLaneServer
{
    /// <summary>The largest frame the worker reads: the supervisor's own ceiling for any message.</summary>
    private const long MaxFrameBytes = 1024L * 1024 * 1024;

    /// <summary>The lane whose call runs on this thread, if any: host calls made by that call go back over it.</summary>
    [ThreadStatic]
    private static DirectLaneServer? current;

    private readonly Socket socket;
    private readonly WireFormat wire;
    private readonly WorkerService service;
    private readonly ILogger logger;
    private readonly DirectFrameReader reader;
    private readonly TimeSpan spin;
    private long hostCallSequence;
    private string? broken;

    /// <summary>Initializes a new instance of the <see cref="DirectLaneServer"/> class.</summary>
    /// <param name="socket">The connected lane, owned from here on.</param>
    /// <param name="wire">The payloads' encoding (the channel's format).</param>
    /// <param name="service">Runs the calls.</param>
    /// <param name="logger">The worker's logger.</param>
    /// <param name="spinMicroseconds">How long to poll for a host call's answer, or for the next call after answering one, before blocking (capped at 1,000).</param>
    public DirectLaneServer(Socket socket, WireFormat wire, WorkerService service, ILogger logger, int spinMicroseconds)
    {
        spin = TimeSpan.FromMicroseconds(Math.Clamp(spinMicroseconds, 0, 1000));
        this.socket = socket;
        this.wire = wire;
        this.service = service;
        this.logger = logger;
        reader = new DirectFrameReader(socket, MaxFrameBytes);
    }

    /// <summary>Gets the lane whose call runs on the calling thread, or <see langword="null"/> (a call from the channel).</summary>
    public static DirectLaneServer? Current => current;

    /// <summary>Connects to the supervisor's lane and proves who this worker is with the bootstrap secret.</summary>
    /// <param name="path">The lane's socket path, from the bootstrap line.</param>
    /// <param name="secret">The bootstrap secret.</param>
    /// <returns>The connected, blocking socket.</returns>
    /// <exception cref="SocketException">The lane cannot be reached.</exception>
    public static Socket Connect(string path, string secret)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            DirectFrame.Write(socket, DirectFrameKind.Hello, 0, Encoding.UTF8.GetBytes(secret));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts the lane's thread; it ends when the supervisor closes the lane.</summary>
    public void Start() => new Thread(Run) { IsBackground = true, Name = "sochdb-direct-lane" }.Start();

    /// <summary>
    /// Sends a host call of the call running on this thread and reads its answer, within the call's budget. An answer
    /// that arrives after the budget is recognised by its sequence number and skipped by the next host call.
    /// </summary>
    /// <param name="request">The host call.</param>
    /// <param name="budget">The time left in the plugin call.</param>
    /// <returns>The supervisor's answer, or a timeout or host-error status; never throws (it runs inside a Wasmtime callback).</returns>
    public HostCallResponse SendHostCall(HostCallRequest request, TimeSpan budget)
    {
        if (broken is not null)
        {
            return new HostCallResponse { Status = HostStatus.HostError };
        }

        var started = Stopwatch.GetTimestamp();
        var sequence = ++hostCallSequence;
        try
        {
            DirectFrame.Write(socket, DirectFrameKind.HostCall, sequence, DirectCodec.Encode(request, wire));
            if (spin > TimeSpan.Zero)
            {
                // The supervisor answers most host calls within microseconds: poll before blocking, as a blocked thread's
                // wake-up costs more than that on a VM.
                reader.SpinForBytes(spin < budget ? spin : budget);
            }

            while (true)
            {
                var left = budget - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero || !reader.TryRead(left, out var frame))
                {
                    return new HostCallResponse { Status = HostStatus.Timeout };
                }

                if (frame.Kind != DirectFrameKind.HostCallResult || frame.Id > sequence)
                {
                    Break($"the supervisor sent a {frame.Kind} frame ({frame.Id}) while host call {sequence} waited for its answer");
                    return new HostCallResponse { Status = HostStatus.HostError };
                }

                if (frame.Id == sequence)
                {
                    return DirectCodec.DecodeHostCallResponse(frame.Payload, wire);
                }

                // frame.Id < sequence: the late answer to an earlier host call whose budget ran out.
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or EndOfStreamException or InvalidDataException)
        {
            Break(ex.Message);
            return new HostCallResponse { Status = HostStatus.HostError };
        }
    }

    private void Run()
    {
        try
        {
            while (broken is null)
            {
                reader.TryRead(null, out var frame);
                if (frame.Kind == DirectFrameKind.HostCallResult && frame.Id <= hostCallSequence)
                {
                    // The late answer to a host call whose budget ran out during the last call: nobody waits for it.
                    continue;
                }

                if (frame.Kind != DirectFrameKind.Invoke)
                {
                    Break($"the supervisor sent a {frame.Kind} frame where a call was expected");
                    break;
                }

                Serve(frame.Id, DirectCodec.DecodeInvokeRequest(frame.Payload, wire));
                if (spin > TimeSpan.Zero)
                {
                    // A hot plugin's next call follows within microseconds, and the supervisor now reads the answer on the
                    // caller's thread, which sends that call: poll for it before blocking (docs/benchmarks.md).
                    reader.SpinForBytes(spin);
                }
            }
        }
        catch (EndOfStreamException)
        {
            Break("the supervisor closed it");
        }
        catch (Exception ex)
        {
            // Nothing may escape the lane's thread (it would end the process mid-call): the lane is closed instead, and the
            // supervisor replaces the worker.
            Break($"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            socket.Dispose();
        }
    }

    private void Serve(long id, InvokeRequest request)
    {
        InvokeResponse response;
        current = this;
        try
        {
            response = service.Invoke(request);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // As the channel answers a throwing method with an error: the supervisor fails the call as a protocol error.
            DirectFrame.Write(socket, DirectFrameKind.InvokeRejected, id, Encoding.UTF8.GetBytes(ex.Message));
            return;
        }
        finally
        {
            current = null;
        }

        DirectFrame.Write(socket, DirectFrameKind.InvokeResult, id, DirectCodec.Encode(response, wire));
    }

    /// <summary>Marks the lane unusable; the thread leaves once the call it runs (if any) has answered.</summary>
    private void Break(string reason)
    {
        if (broken is null)
        {
            broken = reason;
            WorkerLog.DirectLaneClosed(logger, reason);
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already gone.
            }
        }
    }
}

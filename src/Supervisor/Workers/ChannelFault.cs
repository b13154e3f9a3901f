using System.Net.Sockets;
using StreamJsonRpc;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>Tells a worker breaking the protocol apart from a worker dying, when its channel disconnects.</summary>
internal static class ChannelFault
{
    /// <summary>Decides whether a disconnect was a protocol violation by the worker.</summary>
    /// <param name="reason">Why StreamJsonRpc disconnected.</param>
    /// <param name="description">StreamJsonRpc's description of it.</param>
    /// <param name="exception">The exception behind it, if any.</param>
    /// <returns><see langword="null"/> when the channel simply ended or we closed it; otherwise what the worker did.</returns>
    /// <remarks>
    /// A worker that dies ends the stream (<see cref="DisconnectedReason.RemotePartyTerminated"/>), or, when it dies with
    /// our bytes unread or half-way through a frame, fails the read with an I/O error (Linux resets a Unix socket whose
    /// peer closes with unread data): those are crashes, found out by the process's exit. Anything else means the worker
    /// sent bytes that are not a valid message for the channel, or answered something never asked.
    /// </remarks>
    public static string? Describe(DisconnectedReason reason, string? description, Exception? exception) => reason switch
    {
        DisconnectedReason.LocallyDisposed or DisconnectedReason.RemotePartyTerminated => null,
        DisconnectedReason.StreamError when exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException => null,
        _ => $"{reason}: {description ?? exception?.Message ?? "no detail"}",
    };
}

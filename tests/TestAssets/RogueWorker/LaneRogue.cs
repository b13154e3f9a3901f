using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Direct;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.RogueWorker;

/// <summary>
/// Breaks the direct call lane as its mode says, while the channel behaves (<see cref="FaultyWorker"/> answers it).
/// Modes: <c>lane-bad-hello</c> (a wrong secret); <c>lane-unasked-host-call</c> (a host call before any call);
/// and, on the first call, <c>lane-garbage-kind</c> (a frame of an unknown kind), <c>lane-wrong-id</c> (the result of
/// another call), <c>lane-undecodable</c> (a result that is not MessagePack nor JSON), <c>lane-oversized</c> (a header
/// claiming 1.5 GiB), <c>lane-close</c> (closes the lane and lives on).
/// </summary>
internal static class LaneRogue
{
    public static void Start(string path, string secret, WireFormat wire, RogueMode mode)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        DirectFrame.Write(socket, DirectFrameKind.Hello, 0, Encoding.UTF8.GetBytes(mode.Name == "lane-bad-hello" ? new string('0', secret.Length) : secret));
        if (mode.Name == "lane-unasked-host-call")
        {
            DirectFrame.Write(socket, DirectFrameKind.HostCall, 1, DirectCodec.Encode(new HostCallRequest { Function = "read", Target = "items", RowId = 1 }, wire));
        }

        new Thread(() => Serve(socket, wire, mode)) { IsBackground = true }.Start();
    }

    private static void Serve(Socket socket, WireFormat wire, RogueMode mode)
    {
        var reader = new DirectFrameReader(socket, 1 << 30);
        try
        {
            reader.TryRead(null, out var call);
            switch (mode.Name)
            {
                case "lane-garbage-kind":
                    var header = new byte[DirectFrame.HeaderBytes];
                    header[4] = 0x7F;
                    socket.Send(header);
                    break;
                case "lane-wrong-id":
                    DirectFrame.Write(socket, DirectFrameKind.InvokeResult, call.Id + 1, DirectCodec.Encode(new InvokeResponse(), wire));
                    break;
                case "lane-undecodable":
                    DirectFrame.Write(socket, DirectFrameKind.InvokeResult, call.Id, [0xC1, 0xC1, 0xC1, 0xC1]);
                    break;
                case "lane-oversized":
                    var claim = new byte[DirectFrame.HeaderBytes];
                    BinaryPrimitives.WriteUInt32LittleEndian(claim, 1536u * 1024 * 1024);
                    claim[4] = (byte)DirectFrameKind.InvokeResult;
                    socket.Send(claim);
                    break;
                case "lane-close":
                    socket.Close();
                    return;
            }

            // Then silence: the supervisor must act on what it got, not wait for more.
            Thread.Sleep(Timeout.Infinite);
        }
        catch (Exception ex) when (ex is SocketException or EndOfStreamException or ObjectDisposedException)
        {
            // The supervisor closed the lane (it killed this worker, or is about to).
        }
    }
}

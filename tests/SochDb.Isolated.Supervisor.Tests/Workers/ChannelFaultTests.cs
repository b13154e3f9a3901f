using System.Net.Sockets;
using SochDb.Isolated.Supervisor.Workers;
using StreamJsonRpc;

namespace SochDb.Isolated.Supervisor.Tests.Workers;

public sealed class ChannelFaultTests
{
    public static TheoryData<DisconnectedReason, Exception?> Benign => new()
    {
        { DisconnectedReason.LocallyDisposed, null },
        { DisconnectedReason.RemotePartyTerminated, null },
        { DisconnectedReason.StreamError, new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset)) },
        { DisconnectedReason.StreamError, new EndOfStreamException() },
        { DisconnectedReason.StreamError, new ObjectDisposedException("pipe") },
    };

    public static TheoryData<DisconnectedReason, Exception?> Violations => new()
    {
        { DisconnectedReason.ParseError, new InvalidOperationException("bad json") },
        { DisconnectedReason.RemoteProtocolViolation, null },
        { DisconnectedReason.StreamError, new InvalidDataException("frame too large") },
        { DisconnectedReason.StreamError, new MessagePack.MessagePackSerializationException("bad bytes") },
        { DisconnectedReason.FatalException, new InvalidOperationException("boom") },
    };

    [Theory]
    [MemberData(nameof(Benign))]
    public void Describe_EndOfChannelOrTransportFailure_IsNotAViolation(DisconnectedReason reason, Exception? exception)
    {
        Assert.Null(ChannelFault.Describe(reason, "closed", exception));
    }

    [Theory]
    [MemberData(nameof(Violations))]
    public void Describe_UnreadableOrUnaskedMessage_IsAViolationNamingTheReason(DisconnectedReason reason, Exception? exception)
    {
        var violation = ChannelFault.Describe(reason, "what happened", exception);

        Assert.NotNull(violation);
        Assert.StartsWith(reason.ToString(), violation, StringComparison.Ordinal);
        Assert.Contains("what happened", violation, StringComparison.Ordinal);
    }
}

using System.Buffers.Binary;
using System.Net.Sockets;
using SochDb.Isolated.Protocol.Direct;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Protocol.Tests;

/// <summary>The direct lane's framing and payloads over a real connected socket pair, as both ends use them.</summary>
public sealed class DirectFrameTests : IDisposable
{
    private readonly Socket left;
    private readonly Socket right;

    public DirectFrameTests() => (left, right) = Pair();

    public void Dispose()
    {
        left.Dispose();
        right.Dispose();
    }

    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    [InlineData(WireFormat.JsonHeaders)]
    public void TryRead_FramesOfEveryKind_ArriveWholeInOrderWithTheirIds(WireFormat format)
    {
        var call = new InvokeRequest { CallId = 7, Function = "add", Args = [new WireValue { Type = PluginValueType.I32, Bits = 2 }], Fuel = 10, TimeoutMs = 100 };
        var hostCall = new HostCallRequest { CallId = 7, Function = "read", Target = "items", RowId = 3, Data = [1, 2, 3] };
        DirectFrame.Write(left, DirectFrameKind.Invoke, 7, DirectCodec.Encode(call, format));
        DirectFrame.Write(left, DirectFrameKind.HostCall, 1, DirectCodec.Encode(hostCall, format));
        DirectFrame.Write(left, DirectFrameKind.HostCallResult, 1, DirectCodec.Encode(new HostCallResponse { Status = HostStatus.Ok, Data = [9] }, format));
        DirectFrame.Write(left, DirectFrameKind.InvokeResult, 7, DirectCodec.Encode(new InvokeResponse { FuelConsumed = 5 }, format));
        var reader = new DirectFrameReader(right, 1 << 20);

        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var first));
        Assert.Equal((DirectFrameKind.Invoke, 7L), (first.Kind, first.Id));
        var decoded = DirectCodec.DecodeInvokeRequest(first.Payload, format);
        Assert.Equal("add", decoded.Function);
        Assert.Equal(2, (long)decoded.Args[0].Bits);
        Assert.Equal(10, decoded.Fuel);
        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var second));
        Assert.Equal([1, 2, 3], DirectCodec.DecodeHostCallRequest(second.Payload, format).Data);
        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var third));
        Assert.Equal([9], DirectCodec.DecodeHostCallResponse(third.Payload, format).Data);
        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var fourth));
        Assert.Equal((DirectFrameKind.InvokeResult, 7L, 5L), (fourth.Kind, fourth.Id, DirectCodec.DecodeInvokeResponse(fourth.Payload, format).FuelConsumed));
    }

    [Fact]
    public async Task TryRead_AFrameLargerThanTheBuffer_GrowsAndReturnsItWhole()
    {
        var payload = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        var writer = Task.Run(() => DirectFrame.Write(left, DirectFrameKind.InvokeResult, 1, payload));
        var reader = new DirectFrameReader(right, 1 << 20);

        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var frame));

        Assert.Equal(payload, frame.Payload.ToArray());
        await writer.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void TryRead_TimesOutInsideAFrame_KeepsWhatArrivedAndTheNextReadFinishesIt()
    {
        var bytes = Frame(DirectFrameKind.HostCallResult, 42, [1, 2, 3, 4, 5, 6]);
        left.Send(bytes.AsSpan(0, 10));
        var reader = new DirectFrameReader(right, 1024);

        Assert.False(reader.TryRead(TimeSpan.FromMilliseconds(30), out _));
        left.Send(bytes.AsSpan(10));
        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var frame));

        Assert.Equal((DirectFrameKind.HostCallResult, 42L), (frame.Kind, frame.Id));
        Assert.Equal([1, 2, 3, 4, 5, 6], frame.Payload.ToArray());
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(7, 0)]
    [InlineData(0x7F, 0)]
    [InlineData((int)DirectFrameKind.Invoke, 1)]
    public void TryRead_UnknownKindOrNonZeroReservedBytes_IsMalformed(int kind, int reserved)
    {
        var header = new byte[DirectFrame.HeaderBytes];
        header[4] = (byte)kind;
        header[6] = (byte)reserved;
        left.Send(header);
        var reader = new DirectFrameReader(right, 1024);

        var ex = Assert.Throws<InvalidDataException>(() => reader.TryRead(TimeSpan.FromSeconds(5), out _));

        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_ALengthOverTheLimit_IsMalformedBeforeAnyPayloadIsRead()
    {
        var header = new byte[DirectFrame.HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 1536u * 1024 * 1024);
        header[4] = (byte)DirectFrameKind.InvokeResult;
        left.Send(header);
        var reader = new DirectFrameReader(right, 64 * 1024);

        var ex = Assert.Throws<InvalidDataException>(() => reader.TryRead(TimeSpan.FromSeconds(5), out _));

        Assert.Contains("exceeds the limit of 65536 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_AHeaderClaimingALargeFrame_HoldsOnlyWhatArrived()
    {
        var header = new byte[DirectFrame.HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 50u * 1024 * 1024);
        header[4] = (byte)DirectFrameKind.InvokeResult;
        left.Send(header);
        left.Send(new byte[100]);
        var reader = new DirectFrameReader(right, 96L * 1024 * 1024);
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.False(reader.TryRead(TimeSpan.FromMilliseconds(100), out _));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 1024 * 1024);
    }

    [Fact]
    public void SpinForBytes_NothingArrives_GivesUpAfterTheSpin()
    {
        var reader = new DirectFrameReader(right, 1024);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        Assert.False(reader.SpinForBytes(TimeSpan.FromMilliseconds(5)));

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void SpinForBytes_BytesWaiting_ReturnsAtOnceAndTheFrameReads()
    {
        DirectFrame.Write(left, DirectFrameKind.HostCallResult, 3, [7]);
        var reader = new DirectFrameReader(right, 1024);

        Assert.True(reader.SpinForBytes(TimeSpan.FromSeconds(5)));
        Assert.True(reader.TryRead(TimeSpan.FromSeconds(5), out var frame));

        Assert.Equal(3, frame.Id);
        Assert.False(reader.HasBufferedBytes);
    }

    [Fact]
    public void TryRead_PeerClosesInsideAFrame_ThrowsEndOfStream()
    {
        left.Send(Frame(DirectFrameKind.InvokeResult, 1, [1, 2, 3]).AsSpan(0, 18));
        left.Shutdown(SocketShutdown.Send);
        var reader = new DirectFrameReader(right, 1024);

        var ex = Assert.Throws<EndOfStreamException>(() => reader.TryRead(null, out _));

        Assert.Contains("inside a frame", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    public void DecodeInvokeResponse_Garbage_IsInvalidData(WireFormat format)
    {
        var ex = Assert.Throws<InvalidDataException>(() => DirectCodec.DecodeInvokeResponse(new byte[] { 0xC1, 0xC1, 0xC1 }, format));

        Assert.Contains("InvokeResponse cannot be decoded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeInvokeResponse_JsonNull_IsInvalidData()
    {
        var ex = Assert.Throws<InvalidDataException>(() => DirectCodec.DecodeInvokeResponse("null"u8.ToArray(), WireFormat.JsonLengthPrefixed));

        Assert.Contains("is null", ex.Message, StringComparison.Ordinal);
    }

    internal static (Socket Left, Socket Right) Pair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sochdb-test-{Guid.NewGuid():N}");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        connecting.Connect(new UnixDomainSocketEndPoint(path));
        var accepted = listener.Accept();
        File.Delete(path);
        return (connecting, accepted);
    }

    private static byte[] Frame(DirectFrameKind kind, long id, byte[] payload)
    {
        var bytes = new byte[DirectFrame.HeaderBytes + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)payload.Length);
        bytes[4] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), id);
        payload.CopyTo(bytes, DirectFrame.HeaderBytes);
        return bytes;
    }
}

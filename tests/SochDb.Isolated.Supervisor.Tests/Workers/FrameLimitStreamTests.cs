using System.Buffers.Binary;
using System.Text;
using Nerdbank.Streams;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Workers;
using SochDb.Isolated.Tests;
using StreamJsonRpc;

namespace SochDb.Isolated.Supervisor.Tests.Workers;

public sealed class FrameLimitStreamTests
{
    private const int Limit = 4096;

    public static TheoryData<WireFormat> Formats => [WireFormat.MessagePackLengthPrefixed, WireFormat.JsonLengthPrefixed, WireFormat.JsonHeaders];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ReadAsync_FrameAtTheLimit_PassesEveryByteThrough(WireFormat format)
    {
        var (near, far) = FullDuplexStream.CreatePair();
        using var guard = new FrameLimitStream(near, format, Limit);
        var frame = Frame(format, Limit, new byte[Limit]);
        await far.WriteAsync(frame);

        var received = await ReadAtLeastAsync(guard, frame.Length).DefaultTimeout();

        Assert.Equal(frame, received);
        Assert.Null(guard.Violation);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ReadAsync_FrameOverTheLimit_WithholdsTheHeaderAndThrowsNamingSizeAndLimit(WireFormat format)
    {
        var (near, far) = FullDuplexStream.CreatePair();
        using var guard = new FrameLimitStream(near, format, Limit);
        var header = Frame(format, Limit + 1, []);
        await far.WriteAsync(header);

        // The bytes before the byte completing the length may pass; the complete length never does.
        var buffer = new byte[64];
        var passed = await guard.ReadAsync(buffer).AsTask().DefaultTimeout();
        Assert.Equal(header.Length - (format == WireFormat.JsonHeaders ? "\n\r\n".Length : 1), passed);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => guard.ReadAsync(buffer).AsTask()).DefaultTimeout();

        Assert.Contains($"{Limit + 1} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"limit of {Limit} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ex.Message, guard.Violation);
    }

    [Fact]
    public async Task ReadAsync_SecondFrameOverTheLimit_PassesTheFirstFrameWhole()
    {
        var (near, far) = FullDuplexStream.CreatePair();
        using var guard = new FrameLimitStream(near, WireFormat.MessagePackLengthPrefixed, Limit);
        var first = Frame(WireFormat.MessagePackLengthPrefixed, 10, new byte[10]);
        await far.WriteAsync(first.Concat(Frame(WireFormat.MessagePackLengthPrefixed, uint.MaxValue, [])).ToArray());

        var received = await ReadAtLeastAsync(guard, first.Length).DefaultTimeout();

        Assert.Equal(first, received[..first.Length]);
        Assert.NotNull(guard.Violation);
    }

    [Fact]
    public async Task ReadAsync_ContentLengthPaddedWithTabs_IsStillChecked()
    {
        var (near, far) = FullDuplexStream.CreatePair();
        using var guard = new FrameLimitStream(near, WireFormat.JsonHeaders, Limit);
        await far.WriteAsync(Encoding.ASCII.GetBytes("content-length:\t 999999999\t\r\n\r\n"));

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAtLeastAsync(guard, 100)).DefaultTimeout();

        Assert.Contains("999999999", guard.Violation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_HeaderLineWithoutLineBreak_ThrowsAtTheLineCap()
    {
        var (near, far) = FullDuplexStream.CreatePair();
        using var guard = new FrameLimitStream(near, WireFormat.JsonHeaders, Limit);
        await far.WriteAsync(new byte[FrameLimitStream.MaxHeaderLineBytes * 4]);

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAtLeastAsync(guard, FrameLimitStream.MaxHeaderLineBytes * 4)).DefaultTimeout();

        Assert.Contains("header line longer than", guard.Violation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_EndlessHeaderBlock_ThrowsAtTheBlockCap()
    {
        var (near, far) = FullDuplexStream.CreatePair();
        using var guard = new FrameLimitStream(near, WireFormat.JsonHeaders, Limit);
        var lines = string.Concat(Enumerable.Repeat("X-Filler: 1\r\n", (FrameLimitStream.MaxHeaderBlockBytes / 13) + 1));
        await far.WriteAsync(Encoding.ASCII.GetBytes(lines));

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAtLeastAsync(guard, lines.Length)).DefaultTimeout();

        Assert.Contains("header block longer than", guard.Violation, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task JsonRpc_LargeAnswersUnderTheLimit_RoundTripThroughTheGuard(WireFormat format)
    {
        var (supervisorEnd, workerEnd) = FullDuplexStream.CreatePair();
        var guard = new FrameLimitStream(supervisorEnd, format, 4 * 1024 * 1024);
        using var supervisor = RpcChannel.Create(guard, format);
        using var worker = RpcChannel.Create(workerEnd, format);
        worker.AddLocalRpcMethod("echo", (byte[] data) => data);
        supervisor.StartListening();
        worker.StartListening();
        var payload = Enumerable.Range(0, 1024 * 1024).Select(i => (byte)i).ToArray();

        for (var i = 0; i < 3; i++)
        {
            var echoed = await supervisor.InvokeAsync<byte[]>("echo", payload).DefaultTimeout();
            Assert.Equal(payload, echoed);
        }

        Assert.Null(guard.Violation);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task JsonRpc_AnswerOverTheLimit_DisconnectsAndFailsThePendingCall(WireFormat format)
    {
        var (supervisorEnd, workerEnd) = FullDuplexStream.CreatePair();
        var guard = new FrameLimitStream(supervisorEnd, format, 64 * 1024);
        using var supervisor = RpcChannel.Create(guard, format);
        using var worker = RpcChannel.Create(workerEnd, format);
        worker.AddLocalRpcMethod("echo", (byte[] data) => data);
        var disconnected = new TaskCompletionSource<JsonRpcDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        supervisor.Disconnected += (_, e) => disconnected.TrySetResult(e);
        supervisor.StartListening();
        worker.StartListening();

        // Our request is small; only the answer the guard reads is over the limit.
        var small = await supervisor.InvokeAsync<byte[]>("echo", new byte[16 * 1024]).DefaultTimeout();
        Assert.Equal(16 * 1024, small.Length);
        await Assert.ThrowsAsync<ConnectionLostException>(() => supervisor.InvokeAsync<byte[]>("echo", new byte[80 * 1024])).DefaultTimeout();

        var args = await disconnected.Task.DefaultTimeout();
        Assert.NotEqual(DisconnectedReason.RemotePartyTerminated, args.Reason);
        Assert.NotNull(guard.Violation);
        Assert.Contains("limit of 65536 bytes", guard.Violation, StringComparison.Ordinal);
    }

    private static byte[] Frame(WireFormat format, uint claimed, byte[] body)
    {
        byte[] header;
        if (format == WireFormat.JsonHeaders)
        {
            header = Encoding.ASCII.GetBytes($"Content-Length: {claimed}\r\n\r\n");
        }
        else
        {
            header = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(header, claimed);
        }

        return [.. header, .. body];
    }

    private static async Task<byte[]> ReadAtLeastAsync(Stream stream, int count)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        while (received.Count < count)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        return [.. received];
    }
}

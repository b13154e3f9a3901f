using Nerdbank.Streams;
using StreamJsonRpc;

namespace SochDb.Isolated.Protocol.Tests;

/// <summary>
/// The channel's own JSON-RPC traffic on every wire format, over an in-memory duplex pair: cancellation notices and
/// error replies are StreamJsonRpc's messages, not ours, and must survive the formats' restricted metadata.
/// </summary>
public sealed class RpcChannelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    [InlineData(WireFormat.JsonHeaders)]
    public async Task InvokeWithCancellationAsync_CallerCancels_CalleeSeesTheCancellation(WireFormat format)
    {
        var (client, server) = FullDuplexStream.CreatePair();
        var calleeCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calleeStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var serverRpc = RpcChannel.Create(server, format);
        serverRpc.AddLocalRpcMethod("wait", new Func<CancellationToken, Task<long>>(async cancellationToken =>
        {
            calleeStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                calleeCancelled.TrySetResult();
                throw;
            }

            return 0;
        }));
        serverRpc.StartListening();
        using var clientRpc = RpcChannel.Create(client, format);
        clientRpc.StartListening();
        using var cancellation = new CancellationTokenSource();

        var call = clientRpc.InvokeWithCancellationAsync<long>("wait", [], cancellation.Token);
        await calleeStarted.Task.WaitAsync(Bound);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Bound));
        await calleeCancelled.Task.WaitAsync(Bound);
    }

    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    [InlineData(WireFormat.JsonHeaders)]
    public async Task InvokeAsync_CalleeThrows_CallerGetsARemoteErrorAndTheChannelStays(WireFormat format)
    {
        var (client, server) = FullDuplexStream.CreatePair();
        using var serverRpc = RpcChannel.Create(server, format);
        serverRpc.AddLocalRpcMethod("fail", new Func<long>(() => throw new InvalidOperationException("broken on purpose")));
        serverRpc.AddLocalRpcMethod("ok", new Func<long>(() => 42));
        serverRpc.StartListening();
        using var clientRpc = RpcChannel.Create(client, format);
        clientRpc.StartListening();

        var error = await Assert.ThrowsAsync<RemoteInvocationException>(() => clientRpc.InvokeAsync<long>("fail").WaitAsync(Bound));

        Assert.Contains("broken on purpose", error.Message, StringComparison.Ordinal);
        Assert.Equal(42, await clientRpc.InvokeAsync<long>("ok").WaitAsync(Bound));
    }
}

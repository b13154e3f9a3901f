using MessagePack;
using MessagePack.Resolvers;
using StreamJsonRpc;

namespace SochDb.Isolated.Protocol;

/// <summary>Builds the JSON-RPC connection both ends use, so encoding and framing are decided in one place.</summary>
public static class RpcChannel
{
    private static readonly MessagePackSerializerOptions MessagePackOptions =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Creates the message handler for a duplex stream.</summary>
    /// <param name="duplex">The connected channel stream.</param>
    /// <param name="format">The encoding and framing.</param>
    /// <returns>A handler that owns <paramref name="duplex"/>.</returns>
    public static IJsonRpcMessageHandler CreateHandler(Stream duplex, WireFormat format)
    {
        ArgumentNullException.ThrowIfNull(duplex);
        return format switch
        {
            WireFormat.MessagePackLengthPrefixed => new LengthHeaderMessageHandler(duplex, duplex, CreateMessagePackFormatter()),
            WireFormat.JsonLengthPrefixed => new LengthHeaderMessageHandler(duplex, duplex, new SystemTextJsonFormatter()),
            WireFormat.JsonHeaders => new HeaderDelimitedMessageHandler(duplex, duplex, new SystemTextJsonFormatter()),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown wire format."),
        };
    }

    /// <summary>Creates an unstarted <see cref="JsonRpc"/> over a duplex stream.</summary>
    /// <param name="duplex">The connected channel stream; owned by the returned connection.</param>
    /// <param name="format">The encoding and framing.</param>
    /// <returns>The connection; add targets, then call <see cref="JsonRpc.StartListening"/>.</returns>
    public static JsonRpc Create(Stream duplex, WireFormat format)
    {
        var rpc = new JsonRpc(CreateHandler(duplex, format))
        {
            // A dropped supervisor must cancel whatever the worker is doing for it.
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        return rpc;
    }

    /// <summary>
    /// Serializes and deserializes every message type once, so that the serializers' one-time work (MessagePack
    /// generates a formatter per type at first use) happens at start-up rather than inside the first call's deadline.
    /// Idempotent and cheap after the first time.
    /// </summary>
    /// <param name="format">The format in use: only its serializer is warmed (and loaded).</param>
    public static void Prewarm(WireFormat format)
    {
        foreach (var message in SampleMessages())
        {
            var type = message.GetType();
            if (format == WireFormat.MessagePackLengthPrefixed)
            {
                MessagePackSerializer.Deserialize(type, MessagePackSerializer.Serialize(type, message, MessagePackOptions), MessagePackOptions);
            }
            else
            {
                System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message, type), type);
            }
        }
    }

    private static IEnumerable<object> SampleMessages() =>
    [
        new Messages.HandshakeRequest(), new Messages.HandshakeResponse { Hardening = new Messages.WorkerHardeningReport { NetworkInterfaces = [], SupplementaryGroups = [], Problems = [] } }, new Messages.LoadRequest(), new Messages.LoadResponse { Error = new Messages.WorkerError() },
        new Messages.InvokeRequest { Args = [new Messages.WireValue()] }, new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] },
        new Messages.InvokeBatchRequest { Rows = [[new Messages.WireValue()]] }, new Messages.InvokeBatchResponse { Rows = [new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] }] },
        new Messages.HostCallRequest { Data = [], Vector = [] }, new Messages.HostCallResponse { Data = [] }, new Messages.WorkerStatus(),
    ];

    private static MessagePackFormatter CreateMessagePackFormatter()
    {
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(MessagePackOptions);
        return formatter;
    }
}

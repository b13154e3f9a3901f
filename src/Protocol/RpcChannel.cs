using System.Diagnostics.CodeAnalysis;
using System.Buffers;
using Nerdbank.MessagePack;
using PolyType;
using StreamJsonRpc;

namespace SochDb.Isolated.Protocol;

/// <summary>Builds the JSON-RPC connection both ends use, so encoding and framing are decided in one place.</summary>
public static class RpcChannel
{
    private static readonly MessagePackSerializer PrewarmSerializer = new();

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
            WireFormat.JsonLengthPrefixed => new LengthHeaderMessageHandler(duplex, duplex, CreateJsonFormatter()),
            WireFormat.JsonHeaders => new HeaderDelimitedMessageHandler(duplex, duplex, CreateJsonFormatter()),
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
    /// Serializes and deserializes every message type once, so that the serializers' one-time work (compiling their
    /// converters, when a JIT runs them) happens at start-up rather than inside the first call's deadline. Idempotent
    /// and cheap after the first time.
    /// </summary>
    /// <param name="format">The format in use: only its serializer is warmed.</param>
    public static void Prewarm(WireFormat format)
    {
        RoundTrip(new Messages.HandshakeRequest(), format);
        RoundTrip(new Messages.HandshakeResponse { Hardening = new Messages.WorkerHardeningReport { NetworkInterfaces = [], SupplementaryGroups = [], Problems = [] } }, format);
        RoundTrip(new Messages.LoadRequest(), format);
        RoundTrip(new Messages.LoadResponse { Error = new Messages.WorkerError() }, format);
        RoundTrip(new Messages.InvokeRequest { Args = [new Messages.WireValue()] }, format);
        RoundTrip(new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] }, format);
        RoundTrip(new Messages.InvokeBatchRequest { Rows = [[new Messages.WireValue()]] }, format);
        RoundTrip(new Messages.InvokeBatchResponse { Rows = [new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] }] }, format);
        RoundTrip(new Messages.HostCallRequest { Data = [], Vector = [] }, format);
        RoundTrip(new Messages.HostCallResponse { Data = [] }, format);
        RoundTrip(new Messages.WorkerStatus(), format);
    }

    private static void RoundTrip<T>(T message, WireFormat format)
    {
        if (format == WireFormat.MessagePackLengthPrefixed)
        {
            var shape = (ITypeShape<T>)WireShapes.GeneratedTypeShapeProvider.GetTypeShape(typeof(T))!;
            var buffer = new ArrayBufferWriter<byte>();
            PrewarmSerializer.Serialize(buffer, message, shape);
            PrewarmSerializer.Deserialize(buffer.WrittenMemory, shape);
        }
        else
        {
            var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)WireJsonContext.Default.GetTypeInfo(typeof(T))!;
            System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message, info), info);
        }
    }

    // Only the generated metadata, no reflection fallback: the worker's Native AOT build has none, and a type missing
    // from WireJsonContext must fail in every build rather than only in that one.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Every payload type has generated metadata in WireJsonContext; no reflection-based resolver is configured.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Every payload type has generated metadata in WireJsonContext; no reflection-based resolver is configured.")]
    private static SystemTextJsonFormatter CreateJsonFormatter() =>
        new() { JsonSerializerOptions = new System.Text.Json.JsonSerializerOptions { TypeInfoResolver = WireJsonContext.Default } };

    // Shapes generated at compile time (WireShapes): no reflection, no emitted code, the same in both worker builds.
    private static NerdbankMessagePackFormatter CreateMessagePackFormatter() =>
        new() { TypeShapeProvider = WireShapes.GeneratedTypeShapeProvider };
}

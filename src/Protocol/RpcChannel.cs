using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Resolvers;
using StreamJsonRpc;

namespace SochDb.Isolated.Protocol;

/// <summary>Builds the JSON-RPC connection both ends use, so encoding and framing are decided in one place.</summary>
public static class RpcChannel
{
    /// <summary>The MessagePack options of the channel and of the direct lane's payloads (untrusted data: bounded depth, hash-collision resistant).</summary>
    internal static readonly MessagePackSerializerOptions MessagePackOptions =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>
    /// Gets whether this process can speak <paramref name="format"/>. A Native AOT build (the worker's native
    /// executable) cannot: MessagePack-CSharp generates its formatters at run time, so such a build speaks only the
    /// JSON formats, whose metadata is generated at compile time.
    /// </summary>
    /// <param name="format">The encoding and framing.</param>
    /// <returns><see langword="true"/> when <see cref="CreateHandler"/> can build a handler for it here.</returns>
    public static bool IsSupported(WireFormat format) => format switch
    {
        WireFormat.MessagePackLengthPrefixed => RuntimeFeature.IsDynamicCodeSupported,
        WireFormat.JsonLengthPrefixed or WireFormat.JsonHeaders => true,
        _ => false,
    };

    /// <summary>Creates the message handler for a duplex stream.</summary>
    /// <param name="duplex">The connected channel stream.</param>
    /// <param name="format">The encoding and framing.</param>
    /// <returns>A handler that owns <paramref name="duplex"/>.</returns>
    /// <exception cref="NotSupportedException"><paramref name="format"/> is not available in this build (see <see cref="IsSupported"/>).</exception>
    public static IJsonRpcMessageHandler CreateHandler(Stream duplex, WireFormat format)
    {
        ArgumentNullException.ThrowIfNull(duplex);
        if (format is WireFormat.MessagePackLengthPrefixed && !RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new NotSupportedException($"The {format} wire format is not available in a Native AOT build; use {WireFormat.JsonLengthPrefixed}.");
        }

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
                System.Text.Json.JsonSerializer.Deserialize(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(message, type, WireJsonContext.Default), type, WireJsonContext.Default);
            }
        }
    }

    private static IEnumerable<object> SampleMessages() =>
    [
        new Messages.HandshakeRequest(), new Messages.HandshakeResponse { Hardening = new Messages.WorkerHardeningReport { NetworkInterfaces = [], SupplementaryGroups = [], Problems = [] } }, new Messages.LoadRequest(), new Messages.LoadResponse { Error = new Messages.WorkerError() },
        new Messages.InvokeRequest { Args = [new Messages.WireValue()] }, new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] },
        new Messages.InvokeBatchRequest { Rows = [[new Messages.WireValue()]] }, new Messages.InvokeBatchResponse { Rows = [new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] }] },
        new Messages.InvokeManyRequest { Calls = [new Messages.InvokeRequest { Args = [new Messages.WireValue()] }] }, new Messages.InvokeManyResponse { Results = [new Messages.InvokeResponse { Error = new Messages.WorkerError(), Results = [new Messages.WireValue()] }] },
        new Messages.HostCallRequest { Data = [], Vector = [] }, new Messages.HostCallResponse { Data = [] }, new Messages.WorkerStatus(),
    ];

    // Only the generated metadata, no reflection fallback: the worker's Native AOT build has none, and a type missing
    // from WireJsonContext must fail in every build rather than only in that one. The formatter's own options are kept,
    // not replaced: their converters carry StreamJsonRpc's own traffic (the request id of a cancellation notice, the
    // exception in an error reply), and WireJsonContext lists those types too.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Every payload type has generated metadata in WireJsonContext; no reflection-based resolver is configured.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Every payload type has generated metadata in WireJsonContext; no reflection-based resolver is configured.")]
    private static SystemTextJsonFormatter CreateJsonFormatter()
    {
        var formatter = new SystemTextJsonFormatter();
        formatter.JsonSerializerOptions.TypeInfoResolver = WireJsonContext.Default;
        return formatter;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only reached where dynamic code is supported (CreateHandler checks), i.e. never in the trimmed Native AOT worker.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Only reached where dynamic code is supported (CreateHandler checks), i.e. never in the trimmed Native AOT worker.")]
    private static MessagePackFormatter CreateMessagePackFormatter()
    {
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(MessagePackOptions);
        return formatter;
    }
}

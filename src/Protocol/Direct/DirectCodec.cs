using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MessagePack;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Protocol.Direct;

/// <summary>
/// Encodes the direct call lane's payloads in the channel's wire format: MessagePack for
/// <see cref="WireFormat.MessagePackLengthPrefixed"/>, JSON from <see cref="WireJsonContext"/> otherwise (so the Native
/// AOT worker, which has no MessagePack, speaks the lane too). The same message types as the JSON-RPC channel's.
/// </summary>
public static class DirectCodec
{
    /// <summary>Encodes a call.</summary>
    /// <param name="value">The call.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The payload.</returns>
    public static byte[] Encode(InvokeRequest value, WireFormat format) => Encode(value, format, WireJsonContext.Default.InvokeRequest);

    /// <summary>Encodes a call's outcome.</summary>
    /// <param name="value">The outcome.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The payload.</returns>
    public static byte[] Encode(InvokeResponse value, WireFormat format) => Encode(value, format, WireJsonContext.Default.InvokeResponse);

    /// <summary>Encodes a host call.</summary>
    /// <param name="value">The host call.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The payload.</returns>
    public static byte[] Encode(HostCallRequest value, WireFormat format) => Encode(value, format, WireJsonContext.Default.HostCallRequest);

    /// <summary>Encodes a host call's answer.</summary>
    /// <param name="value">The answer.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The payload.</returns>
    public static byte[] Encode(HostCallResponse value, WireFormat format) => Encode(value, format, WireJsonContext.Default.HostCallResponse);

    /// <summary>Decodes a call.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The call.</returns>
    /// <exception cref="InvalidDataException">The payload is not a call.</exception>
    public static InvokeRequest DecodeInvokeRequest(ReadOnlyMemory<byte> payload, WireFormat format) => Decode(payload, format, WireJsonContext.Default.InvokeRequest);

    /// <summary>Decodes a call's outcome.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="InvalidDataException">The payload is not a call's outcome.</exception>
    public static InvokeResponse DecodeInvokeResponse(ReadOnlyMemory<byte> payload, WireFormat format) => Decode(payload, format, WireJsonContext.Default.InvokeResponse);

    /// <summary>Decodes a host call.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The host call.</returns>
    /// <exception cref="InvalidDataException">The payload is not a host call.</exception>
    public static HostCallRequest DecodeHostCallRequest(ReadOnlyMemory<byte> payload, WireFormat format) => Decode(payload, format, WireJsonContext.Default.HostCallRequest);

    /// <summary>Decodes a host call's answer.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="format">The channel's wire format.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="InvalidDataException">The payload is not a host call's answer.</exception>
    public static HostCallResponse DecodeHostCallResponse(ReadOnlyMemory<byte> payload, WireFormat format) => Decode(payload, format, WireJsonContext.Default.HostCallResponse);

    private static byte[] Encode<T>(T value, WireFormat format, JsonTypeInfo<T> json)
        => format == WireFormat.MessagePackLengthPrefixed ? EncodeMessagePack(value) : JsonSerializer.SerializeToUtf8Bytes(value, json);

    private static T Decode<T>(ReadOnlyMemory<byte> payload, WireFormat format, JsonTypeInfo<T> json)
        where T : class
    {
        try
        {
            var value = format == WireFormat.MessagePackLengthPrefixed ? DecodeMessagePack<T>(payload) : JsonSerializer.Deserialize(payload.Span, json);
            return value ?? throw new InvalidDataException($"a direct-lane {typeof(T).Name} is null");
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or JsonException or NotSupportedException)
        {
            throw new InvalidDataException($"a direct-lane {typeof(T).Name} cannot be decoded: {ex.Message}", ex);
        }
    }

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "MessagePack is refused where dynamic code is not supported (RpcChannel.IsSupported), i.e. never reached in the Native AOT worker.")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "As above.")]
    private static byte[] EncodeMessagePack<T>(T value)
        => RuntimeFeature.IsDynamicCodeSupported
            ? MessagePackSerializer.Serialize(value, RpcChannel.MessagePackOptions)
            : throw new NotSupportedException("MessagePack needs dynamic code, which a Native AOT build does not have.");

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "MessagePack is refused where dynamic code is not supported (RpcChannel.IsSupported), i.e. never reached in the Native AOT worker.")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "As above.")]
    private static T DecodeMessagePack<T>(ReadOnlyMemory<byte> payload)
        => RuntimeFeature.IsDynamicCodeSupported
            ? MessagePackSerializer.Deserialize<T>(payload, RpcChannel.MessagePackOptions)
            : throw new NotSupportedException("MessagePack needs dynamic code, which a Native AOT build does not have.");
}

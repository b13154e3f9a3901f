using BenchmarkDotNet.Attributes;
using MessagePack;
using MessagePack.Resolvers;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Micro;

/// <summary>
/// What the wire format costs per message, without a pipe: MessagePack (the default format's serializer, with the
/// options the channel uses) of an <c>add</c> call, its answer, and a 1,000-row batch answer (reported per batch; divide
/// by 1,000 for a row).
/// </summary>
[MemoryDiagnoser]
public class MessageSerialization
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    private InvokeRequest request = null!;
    private InvokeResponse response = null!;
    private InvokeBatchResponse batch = null!;
    private InvokeBatchResponse packedBatch = null!;
    private byte[] packedBatchBytes = null!;
    private byte[] requestBytes = null!;
    private byte[] responseBytes = null!;
    private byte[] batchBytes = null!;

    /// <summary>Builds the messages and their encodings.</summary>
    [GlobalSetup]
    public void Setup()
    {
        request = new InvokeRequest
        {
            CallId = 42,
            Function = "add",
            Args = [new WireValue { Type = PluginValueType.I32, Bits = 1 }, new WireValue { Type = PluginValueType.I32, Bits = 2 }],
            Fuel = 10_000_000,
            TimeoutMs = 1_000,
        };
        response = Answer(3);
        batch = new InvokeBatchResponse { Rows = [.. Enumerable.Range(0, 1_000).Select(Answer)] };
        packedBatch = new InvokeBatchResponse
        {
            Packed = new PackedRowResults
            {
                Types = [PluginValueType.I32],
                Values = new byte[1_000 * PackedValues.ValueSize],
                FuelConsumed = [.. Enumerable.Repeat(4L, 1_000)],
                DurationUs = [.. Enumerable.Repeat(1L, 1_000)],
                HostCalls = new long[1_000],
                PeakMemoryBytes = [.. Enumerable.Repeat(65_536L, 1_000)],
            },
        };
        packedBatchBytes = MessagePackSerializer.Serialize(packedBatch, Options);
        requestBytes = MessagePackSerializer.Serialize(request, Options);
        responseBytes = MessagePackSerializer.Serialize(response, Options);
        batchBytes = MessagePackSerializer.Serialize(batch, Options);
    }

    /// <summary>Encodes an <c>add</c> call.</summary>
    /// <returns>The bytes.</returns>
    [Benchmark]
    public byte[] SerializeInvokeRequest() => MessagePackSerializer.Serialize(request, Options);

    /// <summary>Decodes an <c>add</c> call.</summary>
    /// <returns>The message.</returns>
    [Benchmark]
    public InvokeRequest DeserializeInvokeRequest() => MessagePackSerializer.Deserialize<InvokeRequest>(requestBytes, Options);

    /// <summary>Encodes an <c>add</c> answer.</summary>
    /// <returns>The bytes.</returns>
    [Benchmark]
    public byte[] SerializeInvokeResponse() => MessagePackSerializer.Serialize(response, Options);

    /// <summary>Decodes an <c>add</c> answer.</summary>
    /// <returns>The message.</returns>
    [Benchmark]
    public InvokeResponse DeserializeInvokeResponse() => MessagePackSerializer.Deserialize<InvokeResponse>(responseBytes, Options);

    /// <summary>Encodes a 1,000-row batch answer.</summary>
    /// <returns>The bytes.</returns>
    [Benchmark]
    public byte[] SerializeBatchResponse1000() => MessagePackSerializer.Serialize(batch, Options);

    /// <summary>Decodes a 1,000-row batch answer.</summary>
    /// <returns>The message.</returns>
    [Benchmark]
    public InvokeBatchResponse DeserializeBatchResponse1000() => MessagePackSerializer.Deserialize<InvokeBatchResponse>(batchBytes, Options);

    /// <summary>Encodes a 1,000-row batch answer in columns (protocol v3's packed rows).</summary>
    /// <returns>The bytes.</returns>
    [Benchmark]
    public byte[] SerializePackedBatchResponse1000() => MessagePackSerializer.Serialize(packedBatch, Options);

    /// <summary>Decodes a 1,000-row batch answer in columns.</summary>
    /// <returns>The message.</returns>
    [Benchmark]
    public InvokeBatchResponse DeserializePackedBatchResponse1000() => MessagePackSerializer.Deserialize<InvokeBatchResponse>(packedBatchBytes, Options);

    private static InvokeResponse Answer(int value) => new()
    {
        Results = [new WireValue { Type = PluginValueType.I32, Bits = value }],
        FuelConsumed = 4,
        DurationUs = 1,
        MemoryBytes = 65_536,
        PeakMemoryBytes = 65_536,
    };
}

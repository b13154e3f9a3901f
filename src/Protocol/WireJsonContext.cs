using System.Text.Json.Serialization;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Protocol;

/// <summary>
/// Compile-time System.Text.Json metadata for every type on the JSON wire formats and in the bootstrap line. It keeps
/// JSON free of run-time reflection, which is what lets the worker be published with Native AOT, and it closes the
/// contract: a type that is not listed here cannot travel. StreamJsonRpc's own types are listed too: the request id of
/// a <c>$/cancelRequest</c> notice and the error data of a failed call (the formatter's converters write them).
/// </summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Default)]
[JsonSerializable(typeof(WorkerBootstrap))]
[JsonSerializable(typeof(HandshakeRequest))]
[JsonSerializable(typeof(HandshakeResponse))]
[JsonSerializable(typeof(LoadRequest))]
[JsonSerializable(typeof(LoadResponse))]
[JsonSerializable(typeof(InvokeRequest))]
[JsonSerializable(typeof(InvokeResponse))]
[JsonSerializable(typeof(InvokeBatchRequest))]
[JsonSerializable(typeof(InvokeBatchResponse))]
[JsonSerializable(typeof(InvokeManyRequest))]
[JsonSerializable(typeof(InvokeManyResponse))]
[JsonSerializable(typeof(HostCallRequest))]
[JsonSerializable(typeof(HostCallResponse))]
[JsonSerializable(typeof(WorkerStatus))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(StreamJsonRpc.RequestId))]
[JsonSerializable(typeof(StreamJsonRpc.Protocol.CommonErrorData))]
[JsonSerializable(typeof(object))]
internal sealed partial class WireJsonContext : JsonSerializerContext;

using PolyType;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Protocol;

/// <summary>
/// Compile-time type shapes (PolyType) of every message on the MessagePack wire format, for the Nerdbank.MessagePack
/// formatter: no reflection or run-time code generation, so both worker builds (framework-dependent and Native AOT)
/// speak it, and a type that is not listed here cannot travel. Each field's <c>[Key(n)]</c> repeats its
/// <c>[DataMember(Order = n)]</c>: messages are MessagePack arrays indexed by field number (protocol version 2).
/// </summary>
[GenerateShapeFor<HandshakeRequest>]
[GenerateShapeFor<HandshakeResponse>]
[GenerateShapeFor<LoadRequest>]
[GenerateShapeFor<LoadResponse>]
[GenerateShapeFor<InvokeRequest>]
[GenerateShapeFor<InvokeResponse>]
[GenerateShapeFor<InvokeBatchRequest>]
[GenerateShapeFor<InvokeBatchResponse>]
[GenerateShapeFor<HostCallRequest>]
[GenerateShapeFor<HostCallResponse>]
[GenerateShapeFor<WorkerStatus>]
[GenerateShapeFor<long>]
internal sealed partial class WireShapes;


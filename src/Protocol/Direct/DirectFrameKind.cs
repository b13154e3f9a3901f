namespace SochDb.Isolated.Protocol.Direct;

/// <summary>What a frame on the direct call lane carries (<see cref="DirectFrame"/>).</summary>
/// <remarks>Numbers are part of the wire contract: never renumber, only add.</remarks>
public enum DirectFrameKind : byte
{
    /// <summary>Worker → supervisor, once, first: the bootstrap secret (UTF-8), proving the peer is the worker that was started.</summary>
    Hello = 1,

    /// <summary>Supervisor → worker: an <c>InvokeRequest</c>; the frame id is the call's id.</summary>
    Invoke = 2,

    /// <summary>Worker → supervisor: the <c>InvokeResponse</c> to the call in flight; the frame id echoes the call's.</summary>
    InvokeResult = 3,

    /// <summary>Worker → supervisor: the call in flight was refused before it ran; the payload is the reason (UTF-8).</summary>
    InvokeRejected = 4,

    /// <summary>Worker → supervisor: a <c>HostCallRequest</c> made by the call in flight; the frame id is a sequence number.</summary>
    HostCall = 5,

    /// <summary>Supervisor → worker: the <c>HostCallResponse</c> to the host call with the same frame id.</summary>
    HostCallResult = 6,
}

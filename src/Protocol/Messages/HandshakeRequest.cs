using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The first message on a new channel: the supervisor states the protocol and engine it expects.</summary>
[DataContract]
public sealed class HandshakeRequest
{
    /// <summary>Gets or sets the supervisor's <see cref="ProtocolConstants.Version"/>.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("protocolVersion")]
    public int ProtocolVersion { get; set; }

    /// <summary>Gets or sets the engine settings the worker must build its Wasmtime engine with.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("engine")]
    public EngineSettings Engine { get; set; } = new();

    /// <summary>Gets or sets the supervisor's process id, for the worker's logs.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("supervisorPid")]
    public int SupervisorPid { get; set; }
}

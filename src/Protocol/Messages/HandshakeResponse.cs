using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The worker's answer to the handshake: what it speaks, what it runs, and proof that it is the process the supervisor started.</summary>
[DataContract]
public sealed class HandshakeResponse
{
    /// <summary>Gets or sets the worker's <see cref="ProtocolConstants.Version"/>.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("protocolVersion")]
    public int ProtocolVersion { get; set; }

    /// <summary>Gets or sets the version of the Wasmtime library the worker loaded.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("wasmtimeVersion")]
    public string WasmtimeVersion { get; set; } = string.Empty;

    /// <summary>Gets or sets the <see cref="EngineSettings.ComputeHash"/> of the engine the worker built.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("engineSettingsHash")]
    public string EngineSettingsHash { get; set; } = string.Empty;

    /// <summary>Gets or sets the per-worker secret the supervisor passed privately at start; proves the peer is the spawned worker.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("secret")]
    public string Secret { get; set; } = string.Empty;

    /// <summary>Gets or sets the worker's process id.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("workerPid")]
    public int WorkerPid { get; set; }

    /// <summary>
    /// Gets or sets what the worker found in force on itself after applying its hardening, read from the OS rather
    /// than assumed (<see langword="null"/> from a worker that predates the report). Optional and additive: the
    /// report carries its own <see cref="WorkerHardeningReport.Version"/>.
    /// </summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("hardening")]
    public WorkerHardeningReport? Hardening { get; set; }
}

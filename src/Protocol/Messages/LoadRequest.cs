using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>Asks the worker to load its plugin's precompiled module and instantiate it.</summary>
[DataContract]
public sealed class LoadRequest
{
    /// <summary>Gets or sets the plugin id, for logs.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("pluginId")]
    public string PluginId { get; set; } = string.Empty;

    /// <summary>Gets or sets the module precompiled by the supervisor's engine (<c>Module.Serialize</c>).</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("artifact")]
    public byte[] Artifact { get; set; } = [];

    /// <summary>Gets or sets the store's linear-memory limit in bytes.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("memoryLimitBytes")]
    public long MemoryLimitBytes { get; set; }

    /// <summary>Gets or sets the typed signatures declared in the manifest.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("signatures")]
    public FunctionSignatureDto[] Signatures { get; set; } = [];

    /// <summary>Gets or sets the fuel <c>soch_init</c> may consume.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("initFuel")]
    public long InitFuel { get; set; }

    /// <summary>Gets or sets the wall-clock budget of <c>soch_init</c> in milliseconds.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("initTimeoutMs")]
    public long InitTimeoutMs { get; set; }

    /// <summary>
    /// Gets or sets how many instances (each its own store, memory limit and <c>soch_init</c>) the worker may hold, and
    /// so how many calls it runs at once; 1 to 64. Absent on the wire means 1, the behaviour before the field existed.
    /// </summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("maxInstances")]
    public int MaxInstances { get; set; } = 1;
}

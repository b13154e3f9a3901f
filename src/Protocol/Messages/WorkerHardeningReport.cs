using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>
/// What a worker found in force on itself at handshake time, read from the OS (<c>/proc/self</c>, <c>getrlimit</c>,
/// <c>prctl</c>) rather than assumed from what it was asked to do. The supervisor compares it with what it requested
/// before it sends any plugin code. A <see langword="null"/> field means "not known on this platform or unreadable".
/// </summary>
[DataContract]
public sealed class WorkerHardeningReport
{
    /// <summary>The version of this report's shape that this build writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The value of a limit that is unlimited (<c>RLIM_INFINITY</c>).</summary>
    public const long Unlimited = -1;

    /// <summary>Gets or sets the shape version (<see cref="CurrentVersion"/>); a reader treats fields it does not know as absent.</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("version")]
    public int Version { get; set; } = CurrentVersion;

    /// <summary>Gets or sets the worker's OS: <c>linux</c>, <c>windows</c> or <c>other</c>.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("platform")]
    public string Platform { get; set; } = string.Empty;

    /// <summary>Gets or sets the <c>NoNewPrivs</c> flag of <c>/proc/self/status</c>.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("noNewPrivileges")]
    public bool? NoNewPrivileges { get; set; }

    /// <summary>Gets or sets the effective user id, as seen in the worker's own user namespace.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("userId")]
    public uint? UserId { get; set; }

    /// <summary>Gets or sets the effective group id, as seen in the worker's own user namespace.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("groupId")]
    public uint? GroupId { get; set; }

    /// <summary>Gets or sets the supplementary groups.</summary>
    [DataMember(Order = 5)]
    [JsonPropertyName("supplementaryGroups")]
    public uint[]? SupplementaryGroups { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the real, effective, saved and file-system ids agree, and every thread
    /// has the same ids, groups, capabilities and <c>NoNewPrivs</c> as the main thread. Credentials and
    /// no_new_privs are per-thread in Linux, so a measure applied to one thread only would show here.
    /// </summary>
    [DataMember(Order = 6)]
    [JsonPropertyName("credentialsConsistent")]
    public bool? CredentialsConsistent { get; set; }

    /// <summary>Gets or sets the effective capability set (<c>CapEff</c>).</summary>
    [DataMember(Order = 7)]
    [JsonPropertyName("effectiveCapabilities")]
    public ulong? EffectiveCapabilities { get; set; }

    /// <summary>Gets or sets the permitted capability set (<c>CapPrm</c>).</summary>
    [DataMember(Order = 8)]
    [JsonPropertyName("permittedCapabilities")]
    public ulong? PermittedCapabilities { get; set; }

    /// <summary>Gets or sets the capability bounding set (<c>CapBnd</c>).</summary>
    [DataMember(Order = 9)]
    [JsonPropertyName("boundingCapabilities")]
    public ulong? BoundingCapabilities { get; set; }

    /// <summary>Gets or sets the soft <c>RLIMIT_NOFILE</c> (<see cref="Unlimited"/> for none).</summary>
    [DataMember(Order = 10)]
    [JsonPropertyName("openFilesSoftLimit")]
    public long? OpenFilesSoftLimit { get; set; }

    /// <summary>Gets or sets the hard <c>RLIMIT_NOFILE</c> (<see cref="Unlimited"/> for none).</summary>
    [DataMember(Order = 11)]
    [JsonPropertyName("openFilesHardLimit")]
    public long? OpenFilesHardLimit { get; set; }

    /// <summary>Gets or sets the soft <c>RLIMIT_CORE</c> (<see cref="Unlimited"/> for none).</summary>
    [DataMember(Order = 12)]
    [JsonPropertyName("coreSoftLimit")]
    public long? CoreSoftLimit { get; set; }

    /// <summary>Gets or sets the hard <c>RLIMIT_CORE</c> (<see cref="Unlimited"/> for none).</summary>
    [DataMember(Order = 13)]
    [JsonPropertyName("coreHardLimit")]
    public long? CoreHardLimit { get; set; }

    /// <summary>Gets or sets a value indicating whether the process is dumpable (<c>PR_GET_DUMPABLE</c> non-zero).</summary>
    [DataMember(Order = 14)]
    [JsonPropertyName("dumpable")]
    public bool? Dumpable { get; set; }

    /// <summary>Gets or sets the network namespace, as <c>/proc/self/ns/net</c> reads (<c>net:[4026531840]</c>).</summary>
    [DataMember(Order = 15)]
    [JsonPropertyName("networkNamespace")]
    public string? NetworkNamespace { get; set; }

    /// <summary>Gets or sets the network interfaces visible to the worker (from <c>/proc/self/net/dev</c>).</summary>
    [DataMember(Order = 16)]
    [JsonPropertyName("networkInterfaces")]
    public string[]? NetworkInterfaces { get; set; }

    /// <summary>Gets or sets what the worker could not read, for diagnostics; empty when everything was read.</summary>
    [DataMember(Order = 17)]
    [JsonPropertyName("problems")]
    public string[]? Problems { get; set; }
}

using System.Globalization;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>The Wasmtime engine settings both ends must share, so that a module precompiled by the supervisor runs in the worker.</summary>
[DataContract]
public sealed class EngineSettings
{
    /// <summary>Gets or sets the guest stack limit in bytes (deep recursion traps with a stack overflow).</summary>
    [DataMember(Order = 0)]
    [JsonPropertyName("maxWasmStackBytes")]
    public int MaxWasmStackBytes { get; set; } = 512 * 1024;

    /// <summary>Gets or sets the epoch tick in milliseconds: the resolution of call deadlines.</summary>
    [DataMember(Order = 1)]
    [JsonPropertyName("epochTickMs")]
    public int EpochTickMs { get; set; } = 1;

    /// <summary>Gets or sets a value indicating whether SIMD is enabled.</summary>
    [DataMember(Order = 2)]
    [JsonPropertyName("simd")]
    public bool Simd { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether bulk-memory operations are enabled.</summary>
    [DataMember(Order = 3)]
    [JsonPropertyName("bulkMemory")]
    public bool BulkMemory { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether multi-value results are enabled.</summary>
    [DataMember(Order = 4)]
    [JsonPropertyName("multiValue")]
    public bool MultiValue { get; set; } = true;

    /// <summary>
    /// Computes a stable hash of these settings. Both ends compute it; a mismatch in the handshake means the worker
    /// would build a different engine and could not run the supervisor's precompiled modules.
    /// </summary>
    /// <returns>A lower-case hex FNV-1a (64-bit) fingerprint of a canonical rendering of every setting.</returns>
    /// <remarks>
    /// A fingerprint, not a cryptographic hash: the settings are neither secret nor chosen by an adversary (both ends
    /// are this code), and a cryptographic hash would load OpenSSL into every worker — about 3.5 MiB of resident
    /// memory and part of each cold start — for a comparison of a few dozen characters.
    /// </remarks>
    public string ComputeHash()
    {
        var canonical = string.Create(
            CultureInfo.InvariantCulture,
            $"v{ProtocolConstants.Version};fuel=1;epoch=1;stack={MaxWasmStackBytes};tick={EpochTickMs};simd={Simd};bulk={BulkMemory};multi={MultiValue}");
        const ulong OffsetBasis = 14695981039346656037;
        const ulong Prime = 1099511628211;
        var hash = OffsetBasis;
        foreach (var b in Encoding.UTF8.GetBytes(canonical))
        {
            hash = (hash ^ b) * Prime;
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}

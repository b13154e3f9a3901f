using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol;

/// <summary>
/// The measures a worker applies to itself before it runs any plugin code, sent in the <see cref="WorkerBootstrap"/>.
/// Only measures that are process-wide can be applied from inside the (already multithreaded) runtime; per-thread
/// ones (no_new_privs, namespaces) are applied by the launch chain before the runtime starts.
/// </summary>
public sealed class WorkerHardeningRequest
{
    /// <summary>
    /// Gets or sets the soft and hard <c>RLIMIT_NOFILE</c> the worker sets (0: leave the inherited limit). Clamped to
    /// the inherited hard limit, which an unprivileged process cannot raise.
    /// </summary>
    [JsonPropertyName("maxOpenFiles")]
    public int MaxOpenFiles { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the worker disables core dumps: <c>RLIMIT_CORE</c> 0 and
    /// <c>PR_SET_DUMPABLE</c> 0 on Linux, no error-reporting dialogs or dumps on Windows.
    /// </summary>
    [JsonPropertyName("disableCoreDumps")]
    public bool DisableCoreDumps { get; set; }

    /// <summary>
    /// Gets or sets the user id the worker switches to right after it has connected to its supervisor, before it
    /// answers the handshake (<see langword="null"/>: keep the user it was started as).
    /// </summary>
    [JsonPropertyName("userId")]
    public uint? UserId { get; set; }

    /// <summary>Gets or sets the group id the worker switches to together with <see cref="UserId"/>; supplementary groups are cleared.</summary>
    [JsonPropertyName("groupId")]
    public uint? GroupId { get; set; }
}

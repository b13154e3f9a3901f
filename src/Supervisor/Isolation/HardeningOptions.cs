using System.Globalization;

namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>
/// How each worker process is hardened beyond Wasmtime and the OS resource limits: what it inherits (environment,
/// file descriptors), what it may become (no new privileges, no capabilities, an unprivileged user), what it can
/// reach (its own empty network namespace) and what it leaves behind (no core dumps). Every default is the safe
/// choice; the Linux measures need util-linux's <c>unshare</c> and <c>setpriv</c> and degrade with a warning when
/// this host does not allow them. See <c>docs/security.md</c>.
/// </summary>
/// <remarks>Read once per instance, when the supervisor starts its first worker; later changes are ignored.</remarks>
public sealed class HardeningOptions
{
    /// <summary>
    /// The fewest open files a worker may be limited to. A worker that has loaded a plugin and served a call holds
    /// about 140 descriptors, most of them two per loaded assembly; fewer than this would fail it at start.
    /// </summary>
    public const int MinOpenFiles = 192;

    /// <summary>The most open files a worker may be allowed.</summary>
    public const int MaxOpenFilesLimit = 65_536;

    /// <summary>
    /// Gets or sets whether each worker runs in a network namespace of its own, which holds only a loopback interface
    /// that is down (Linux; default <see cref="HardeningRequirement.Auto"/>). Needs root (CAP_SYS_ADMIN) or
    /// unprivileged user namespaces. The channel is a Unix socket reached through the file system, so it still works.
    /// </summary>
    public HardeningRequirement NetworkIsolation { get; set; } = HardeningRequirement.Auto;

    /// <summary>
    /// Gets or sets a value indicating whether workers start with <c>no_new_privs</c> set, so no set-user-id binary or
    /// file capability can ever raise their privileges (Linux; default <see langword="true"/>).
    /// </summary>
    public bool NoNewPrivileges { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether a worker that would start with capabilities (a root supervisor, or a
    /// user namespace) starts with an empty capability bounding set instead (Linux; default <see langword="true"/>).
    /// </summary>
    public bool DropCapabilities { get; set; } = true;

    /// <summary>
    /// Gets or sets the soft and hard limit on a worker's open file descriptors (default 256; 192 to 65,536). Clamped
    /// to the supervisor's own hard limit when that is lower.
    /// </summary>
    public int MaxOpenFiles { get; set; } = 256;

    /// <summary>
    /// Gets or sets a value indicating whether workers never write core dumps: <c>RLIMIT_CORE</c> 0 and not dumpable
    /// on Linux (which also keeps other processes of the same user from reading their memory or attaching a
    /// debugger), no error-reporting dialogs on Windows (default <see langword="true"/>).
    /// </summary>
    public bool DisableCoreDumps { get; set; } = true;

    /// <summary>
    /// Gets or sets the user workers switch to: a user name, or <c>uid:gid</c> (default <see langword="null"/>: the
    /// supervisor's user). Linux only; needs a supervisor running as root; must not be root. The worker switches
    /// itself right after connecting to the supervisor and before its handshake, so no plugin code ever runs as
    /// the supervisor's user. The worker's files must be readable by that user.
    /// </summary>
    public string? WorkerUser { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the supervisor marks all of its own file descriptors above 2
    /// close-on-exec before it starts a worker, so none opened without that flag by native code leaks into the
    /// worker (Linux; default <see langword="true"/>). Process-wide: turn it off only if the host relies on a
    /// descriptor being inherited by programs it starts itself.
    /// </summary>
    public bool MarkDescriptorsCloseOnExec { get; set; } = true;

    /// <summary>Checks every value and throws when one is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range or malformed.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(NetworkIsolation))
        {
            throw new ArgumentOutOfRangeException(nameof(NetworkIsolation), NetworkIsolation, "Unknown hardening requirement.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOpenFiles, MinOpenFiles, nameof(MaxOpenFiles));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxOpenFiles, MaxOpenFilesLimit, nameof(MaxOpenFiles));
        if (WorkerUser is not null)
        {
            if (!TryParseWorkerUser(WorkerUser, out _, out _, out var problem))
            {
                throw new ArgumentOutOfRangeException(nameof(WorkerUser), WorkerUser, problem);
            }

            if (!OperatingSystem.IsLinux())
            {
                throw new ArgumentOutOfRangeException(nameof(WorkerUser), WorkerUser, "A worker user is only supported on Linux.");
            }
        }
    }

    /// <summary>Parses a <see cref="WorkerUser"/> value without looking the name up.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The user name, when the value is a name.</param>
    /// <param name="ids">The user and group ids, when the value is <c>uid:gid</c>.</param>
    /// <param name="problem">Why the value is not acceptable.</param>
    /// <returns><see langword="true"/> when the value is a well-formed name or a non-root <c>uid:gid</c>.</returns>
    internal static bool TryParseWorkerUser(string value, out string? name, out (uint UserId, uint GroupId)? ids, out string problem)
    {
        name = null;
        ids = null;
        problem = string.Empty;
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!uint.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                || !uint.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
                || uid == uint.MaxValue || gid == uint.MaxValue)
            {
                problem = "A worker user given by ids must be 'uid:gid', two decimal numbers below 4294967295.";
                return false;
            }

            if (uid == 0 || gid == 0)
            {
                problem = "The worker user must not be root or in the root group.";
                return false;
            }

            ids = (uid, gid);
            return true;
        }

        // The portable POSIX user-name characters, as useradd accepts them by default.
        if (value.Length is 0 or > 32 || value[0] is '-' or (>= '0' and <= '9')
            || !value.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.'))
        {
            problem = "A worker user must be a user name (letters, digits, '_', '-', '.'; not starting with a digit or '-'; at most 32 characters) or 'uid:gid'.";
            return false;
        }

        if (value == "root")
        {
            problem = "The worker user must not be root.";
            return false;
        }

        name = value;
        return true;
    }
}

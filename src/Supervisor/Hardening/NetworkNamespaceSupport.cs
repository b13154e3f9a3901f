namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>How this host lets the supervisor give a worker a network namespace of its own.</summary>
internal enum NetworkNamespaceSupport
{
    /// <summary>Not at all: no <c>unshare</c>, or neither form below is permitted.</summary>
    None = 0,

    /// <summary><c>unshare --net</c>: the supervisor has CAP_SYS_ADMIN (runs as root outside a restricted container).</summary>
    Privileged = 1,

    /// <summary>
    /// <c>unshare --user --map-root-user --net</c>: an unprivileged user namespace owns the network namespace. The
    /// worker is root inside it (mapped to the supervisor's user outside), so it can never switch to another user.
    /// </summary>
    UserNamespace = 2,
}

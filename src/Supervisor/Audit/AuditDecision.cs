namespace SochDb.Isolated.Supervisor.Audit;

/// <summary>What the supervisor decided about one host call a plugin made.</summary>
public enum AuditDecision
{
    /// <summary>The call was permitted and carried out.</summary>
    Allowed,

    /// <summary>The plugin lacks the capability the call needs (ABI status -1).</summary>
    Denied,

    /// <summary>The call's arguments were malformed or out of bounds (ABI status -3).</summary>
    Invalid,

    /// <summary>The plugin asked for a host function that does not exist; <see cref="AuditRecord.Function"/> holds the name it asked for.</summary>
    UnknownFunction,

    /// <summary>The call would have passed a budget or quota (ABI status -5).</summary>
    LimitExceeded,

    /// <summary>The call was permitted but the host failed to carry it out (ABI status -4 or -6, for example).</summary>
    Failed,
}

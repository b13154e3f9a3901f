namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>
/// What a worker's <see cref="Protocol.Messages.WorkerHardeningReport"/> must show, given what the supervisor applied.
/// Only measures actually applied are expected: a measure that degraded was already logged and is not checked.
/// </summary>
internal sealed record HardeningExpectation
{
    /// <summary>Gets an expectation of nothing.</summary>
    public static HardeningExpectation None { get; } = new();

    /// <summary>Gets a value indicating whether the worker must report on Linux.</summary>
    public bool Linux { get; init; }

    /// <summary>Gets a value indicating whether <c>NoNewPrivs</c> must be 1.</summary>
    public bool NoNewPrivileges { get; init; }

    /// <summary>Gets a value indicating whether the effective and permitted capability sets must be empty.</summary>
    public bool NoCapabilities { get; init; }

    /// <summary>Gets the highest hard open-files limit acceptable, or <see langword="null"/> for any.</summary>
    public int? MaxOpenFiles { get; init; }

    /// <summary>Gets a value indicating whether the core limit must be 0 and the process not dumpable.</summary>
    public bool CoreDumpsDisabled { get; init; }

    /// <summary>Gets a value indicating whether the worker must be in a network namespace other than the supervisor's, holding only <c>lo</c>.</summary>
    public bool NetworkIsolated { get; init; }

    /// <summary>Gets the supervisor's own network namespace (<c>net:[inode]</c>), when known.</summary>
    public string? SupervisorNetworkNamespace { get; init; }

    /// <summary>Gets the user id the worker must run as, or <see langword="null"/> for any.</summary>
    public uint? UserId { get; init; }

    /// <summary>Gets the group id the worker must run as, or <see langword="null"/> for any.</summary>
    public uint? GroupId { get; init; }

    /// <summary>Gets a value indicating whether anything is expected at all.</summary>
    public bool Any => Linux || NoNewPrivileges || NoCapabilities || MaxOpenFiles is not null || CoreDumpsDisabled || NetworkIsolated || UserId is not null;
}

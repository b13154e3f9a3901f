namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>The <c>[hooks]</c> section: exported functions to run around table writes.</summary>
public sealed class TableHooks
{
    /// <summary>Gets the hooks run before an insert.</summary>
    public IReadOnlyList<string> BeforeInsert { get; init; } = [];

    /// <summary>Gets the hooks run after an insert.</summary>
    public IReadOnlyList<string> AfterInsert { get; init; } = [];

    /// <summary>Gets the hooks run before an update.</summary>
    public IReadOnlyList<string> BeforeUpdate { get; init; } = [];

    /// <summary>Gets the hooks run after an update.</summary>
    public IReadOnlyList<string> AfterUpdate { get; init; } = [];

    /// <summary>Gets the hooks run before a delete.</summary>
    public IReadOnlyList<string> BeforeDelete { get; init; } = [];

    /// <summary>Gets the hooks run after a delete.</summary>
    public IReadOnlyList<string> AfterDelete { get; init; } = [];

    /// <summary>
    /// Gets the table patterns the hooks watch (same rules as capabilities), or <see langword="null"/> when the manifest
    /// does not say: then they watch the tables the plugin may read.
    /// </summary>
    public IReadOnlyList<string>? Tables { get; init; }

    /// <summary>Gets a value indicating whether a hook that fails (traps, times out, crashes) is skipped (<c>failure = "open"</c>) rather than aborting the write (the default, <c>"closed"</c>).</summary>
    public bool FailOpen { get; init; }

    /// <summary>Gets every hook function named in any list, with duplicates.</summary>
    public IEnumerable<string> All => BeforeInsert.Concat(AfterInsert).Concat(BeforeUpdate).Concat(AfterUpdate).Concat(BeforeDelete).Concat(AfterDelete);
}

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

    /// <summary>Gets every hook function named in any list, with duplicates.</summary>
    public IEnumerable<string> All => BeforeInsert.Concat(AfterInsert).Concat(BeforeUpdate).Concat(AfterUpdate).Concat(BeforeDelete).Concat(AfterDelete);
}

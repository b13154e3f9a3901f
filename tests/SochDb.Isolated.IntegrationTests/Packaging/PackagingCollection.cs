namespace SochDb.Isolated.IntegrationTests.Packaging;

/// <summary>
/// The package test packs and builds with the SDK (minutes of both cores): it runs alone, after the parallel tests,
/// so that its load does not push their timeouts, and its child processes are not counted by theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Packaging (runs the SDK)";
}

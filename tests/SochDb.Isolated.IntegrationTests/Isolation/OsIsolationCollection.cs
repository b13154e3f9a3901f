namespace SochDb.Isolated.IntegrationTests.Isolation;

/// <summary>Tests that create real cgroups, jobs or memory-hungry processes run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class OsIsolationCollection
{
    public const string Name = "OS isolation";
}

namespace SochDb.Isolated.IntegrationTests.Scale;

/// <summary>
/// Tests that count the test process's children, file descriptors and cgroups: they run alone, after the parallel
/// tests, so no other test's workers are counted.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Serial (counts processes)";
}

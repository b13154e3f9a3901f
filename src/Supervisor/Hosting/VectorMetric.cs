namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>How a vector index measures distance.</summary>
public enum VectorMetric
{
    /// <summary><c>1 - cosine similarity</c>: 0 for the same direction, 2 for opposite.</summary>
    Cosine = 0,

    /// <summary>Euclidean (L2) distance.</summary>
    L2 = 1,
}

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>A vector search hit.</summary>
/// <param name="RowId">The row id.</param>
/// <param name="Distance">The distance to the query: <c>1 - cosine similarity</c> or the Euclidean distance.</param>
public sealed record VectorHit(long RowId, float Distance);

namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>A row of a table.</summary>
/// <param name="RowId">The row id.</param>
/// <param name="Data">The row's bytes.</param>
public sealed record StoredRow(long RowId, byte[] Data);

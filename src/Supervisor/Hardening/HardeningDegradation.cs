namespace SochDb.Isolated.Supervisor.Hardening;

/// <summary>A hardening measure that is not in force on this host, and why.</summary>
/// <param name="Measure">The measure, as the options name it.</param>
/// <param name="Reason">Why it is not in force, and what would enable it.</param>
internal sealed record HardeningDegradation(string Measure, string Reason);

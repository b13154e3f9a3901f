using System.Globalization;
using System.Text.Json;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// The CI regression guard: fails only on gross regressions, so that noise never fails CI but a broken hot path does.
/// A target fails the guard when its ratio is more than <see cref="Slack"/> times past the larger of its bound and its
/// recorded baseline (a target already missed is held to its baseline, not to the bound it misses).
/// </summary>
internal static class RegressionGuard
{
    /// <summary>How far past the limit a ratio may drift before the guard fails.</summary>
    public const double Slack = 3;

    /// <summary>Checks a run's targets against a baseline file and prints one line per target.</summary>
    /// <param name="targets">The run's targets.</param>
    /// <param name="baselinePath">A JSON object of target id → baseline ratio (<c>bench/guard-baseline.json</c>).</param>
    /// <param name="output">Where the verdicts go.</param>
    /// <returns>Whether every target is within the guard.</returns>
    public static bool Check(IReadOnlyList<TargetRow> targets, string baselinePath, TextWriter output)
    {
        var baseline = JsonSerializer.Deserialize(File.ReadAllText(baselinePath), BenchmarkJson.Default.DictionaryStringDouble)
            ?? throw new InvalidDataException($"{baselinePath} holds no baseline");
        var ok = true;
        var c = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine(string.Create(c, $"Regression guard (fails at {Slack}× past max(bound, baseline) for upper bounds, below min(bound, baseline) / {Slack} for lower ones):"));
        foreach (var target in targets)
        {
            var recorded = baseline.TryGetValue(target.Id, out var value) ? value : target.Bound;
            string verdict;
            if (target.Met is null)
            {
                // Not measured on this machine (the row says why): nothing to compare, and no reason to fail.
                verdict = $"skip {target.Id}: not measured ({target.Reference})";
            }
            else if (target.AtMost)
            {
                var limit = Slack * Math.Max(target.Bound, recorded);
                var pass = target.Ratio <= limit || limit == 0 && target.Ratio == 0;
                verdict = string.Create(c, $"{(pass ? "ok  " : "FAIL")} {target.Id}: {target.Ratio:G4} (limit {limit:G4})");
                ok &= pass;
            }
            else
            {
                var limit = Math.Min(target.Bound, recorded) / Slack;
                var pass = target.Ratio >= limit;
                verdict = string.Create(c, $"{(pass ? "ok  " : "FAIL")} {target.Id}: {target.Ratio:G4} (limit ≥ {limit:G4})");
                ok &= pass;
            }

            output.WriteLine(verdict);
        }

        return ok;
    }
}

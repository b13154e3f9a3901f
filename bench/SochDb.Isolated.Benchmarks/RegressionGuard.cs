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
    public static bool Check(IReadOnlyList<TargetRow> targets, string baselinePath, TextWriter output) =>
        Failures(targets, baselinePath, output).Count == 0;

    /// <summary>Checks a run's targets against a baseline file, prints one line per target and names those that failed.</summary>
    /// <param name="targets">The run's targets.</param>
    /// <param name="baselinePath">A JSON object of target id → baseline ratio (<c>bench/guard-baseline.json</c>).</param>
    /// <param name="output">Where the verdicts go.</param>
    /// <returns>The ids of the targets past the guard, in the run's order (empty when all are within it).</returns>
    public static IReadOnlyList<string> Failures(IReadOnlyList<TargetRow> targets, string baselinePath, TextWriter output)
    {
        var baseline = JsonSerializer.Deserialize(File.ReadAllText(baselinePath), BenchmarkJson.Default.DictionaryStringDouble)
            ?? throw new InvalidDataException($"{baselinePath} holds no baseline");
        var failures = new List<string>();
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
                AddUnless(pass);
            }
            else
            {
                var limit = Math.Min(target.Bound, recorded) / Slack;
                var pass = target.Ratio >= limit;
                verdict = string.Create(c, $"{(pass ? "ok  " : "FAIL")} {target.Id}: {target.Ratio:G4} (limit ≥ {limit:G4})");
                AddUnless(pass);
            }

            output.WriteLine(verdict);

            void AddUnless(bool pass)
            {
                if (!pass)
                {
                    failures.Add(target.Id);
                }
            }
        }

        return failures;
    }

    /// <summary>
    /// The regressions a second measurement confirms: the targets that failed the guard in both runs. A target that
    /// passes once was pushed past its limit by the machine (a stall during its samples), not by the code.
    /// </summary>
    /// <param name="first">The failures of the first run.</param>
    /// <param name="second">The failures of the run that measured again.</param>
    /// <returns>The ids in both, in the first run's order.</returns>
    public static IReadOnlyList<string> Confirmed(IReadOnlyList<string> first, IReadOnlyList<string> second) =>
        first.Where(id => second.Contains(id, StringComparer.Ordinal)).ToList();
}

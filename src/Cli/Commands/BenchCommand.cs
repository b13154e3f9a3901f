using System.CommandLine;
using SochDb.Isolated.Benchmarks;

namespace SochDb.Isolated.Cli.Commands;

/// <summary>
/// <c>bench [--full] [--json &lt;file&gt;] [--guard &lt;baseline&gt;] [--native-worker &lt;path&gt; | --no-native]</c>: the
/// benchmark suite's quick profile (or the full one), its table, and optionally the CI regression guard.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var full = new Option<bool>("--full") { Description = "Run the full profile (minutes) instead of the quick one" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the figures as JSON to this file" };
        var guard = new Option<FileInfo?>("--guard") { Description = "Fail (exit 1) on a gross regression of a target's ratio against this baseline (CI: bench/guard-baseline.json)" };
        var native = new Option<FileInfo?>("--native-worker") { Description = "The Native AOT worker to compare (default: publish it from this checkout with eng/publish-native-worker.sh)" };
        var noNative = new Option<bool>("--no-native") { Description = "Leave the Native AOT worker out (its cold-start and memory targets are then not measured)" };
        var command = new Command("bench", "Measure calls in-process and through the supervisor, side by side, and print the table") { full, json, guard, native, noNative };
        command.SetAction(async (parse, _) =>
        {
#if DEBUG
            await Console.Error.WriteLineAsync("note: this is a Debug build; for representative figures run `dotnet run -c Release --project src/Cli -- bench`").ConfigureAwait(false);
#endif
            var args = new List<string>();
            if (!parse.GetValue(full))
            {
                args.Add("--quick");
            }

            if (parse.GetValue(json) is { } file)
            {
                args.Add("--json");
                args.Add(file.FullName);
            }

            if (parse.GetValue(guard) is { } baseline)
            {
                args.Add("--guard");
                args.Add(baseline.FullName);
            }

            if (parse.GetValue(native) is { } worker)
            {
                args.Add("--native-worker");
                args.Add(worker.FullName);
            }

            if (parse.GetValue(noNative))
            {
                args.Add("--no-native");
            }

            return await BenchmarkRunner.RunAsync([.. args]).ConfigureAwait(false);
        });
        return command;
    }
}

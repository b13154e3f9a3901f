using System.Diagnostics;
using System.Globalization;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// R0 and the blocking native reference: <c>pipe_echo.c</c> (embedded in this assembly), compiled at run time with
/// <c>gcc -O2</c> (or <c>cc</c>) into a temporary folder. It creates two pipes and forks; the child echoes every
/// 64-byte message. In busy mode both sides spin on non-blocking <c>read()</c> (the floor: no wake-ups); in block
/// mode they make plain blocking calls (what the kernel's wake-ups cost). Rows that cannot run say why; the bench
/// never fails because of them.
/// </summary>
internal static class NativePipeReference
{
    /// <summary>The embedded C source's resource name.</summary>
    private const string SourceResource = "pipe_echo.c";

    /// <summary>The C compilers looked for on the path, first found wins.</summary>
    private static readonly string[] Compilers = ["gcc", "cc"];

    /// <summary>How long one run of the program may take before it is killed.</summary>
    private static readonly TimeSpan RunBudget = TimeSpan.FromSeconds(60);

    /// <summary>Compiles the program and runs its four measurements.</summary>
    /// <param name="profile">The message counts.</param>
    /// <param name="pipelined">Messages kept outstanding in the pipelined measurements.</param>
    /// <param name="progress">Reports progress.</param>
    /// <returns>Rows <c>r0-busy-1</c>, <c>r0-busy-64</c>, <c>native-block-1</c>, <c>native-block-64</c>.</returns>
    public static async Task<IReadOnlyList<ReferenceRow>> RunAsync(BenchmarkProfile profile, int pipelined, Action<string> progress)
    {
        (string Id, string Name, string Mode, int InFlight)[] runs =
        [
            ("r0-busy-1", "(R0) C, busy-polling non-blocking read()", "busy", 1),
            ("r0-busy-" + pipelined.ToString(CultureInfo.InvariantCulture), "(R0) C, busy-polling non-blocking read()", "busy", pipelined),
            ("native-block-1", "C, blocking read()/write()", "block", 1),
            ("native-block-" + pipelined.ToString(CultureInfo.InvariantCulture), "C, blocking read()/write()", "block", pipelined),
        ];
        IReadOnlyList<ReferenceRow> SkipAll(string reason) => [.. runs.Select(r => ReferenceRow.Skipped(r.Id, r.Name, r.InFlight, reason))];

        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return SkipAll("not measured: needs fork() and pipe()");
        }

        if (FindCompiler() is not { } compiler)
        {
            return SkipAll("not measured: no C compiler");
        }

        var folder = Path.Combine(Path.GetTempPath(), "sochdb-bench-refs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var source = Path.Combine(folder, SourceResource);
            var program = Path.Combine(folder, "pipe_echo");
            await using (var resource = typeof(NativePipeReference).Assembly.GetManifestResourceStream(SourceResource)
                ?? throw new InvalidOperationException($"the resource {SourceResource} is missing"))
            await using (var file = File.Create(source))
            {
                await resource.CopyToAsync(file);
            }

            progress($"references: compiling pipe_echo.c with {compiler} -O2");
            var compiled = await RunAsync(compiler, ["-O2", "-o", program, source]);
            if (compiled.ExitCode != 0)
            {
                return SkipAll($"not measured: {Path.GetFileName(compiler)} failed: {FirstLine(compiled.Stderr)}");
            }

            List<ReferenceRow> rows = [];
            foreach (var run in runs)
            {
                var count = run.InFlight == 1 ? profile.ReferenceRoundTrips : profile.ReferencePipelinedMessages;
                progress($"references: {run.Id} ({count:N0} messages)");
                rows.Add(await MeasureAsync(program, run.Id, run.Name, run.Mode, run.InFlight, count, profile.ReferenceWarmup));
            }

            return rows;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return SkipAll($"not measured: {ex.Message}");
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is not worth failing the bench over.
            }
        }
    }

    private static async Task<ReferenceRow> MeasureAsync(string program, string id, string name, string mode, int inFlight, int count, int warmup)
    {
        var c = CultureInfo.InvariantCulture;
        var result = await RunAsync(program, [mode, inFlight.ToString(c), count.ToString(c), warmup.ToString(c)]);
        var fields = result.Stdout.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // ok <p50_ns> <p99_ns> <mean_ns> <messages_per_second> <iterations>
        if (result.ExitCode != 0 || fields is not ["ok", var p50, var p99, var mean, var rate, var iterations])
        {
            return ReferenceRow.Skipped(id, name, inFlight, $"not measured: pipe_echo exited with {result.ExitCode}: {FirstLine(result.Stderr)}");
        }

        return ReferenceRow.Measured(
            id,
            name,
            inFlight,
            long.Parse(iterations, c),
            double.Parse(p50, c) / 1e3,
            double.Parse(p99, c) / 1e3,
            double.Parse(mean, c) / 1e3,
            double.Parse(rate, c));
    }

    /// <summary>Runs a program to its end, killing it (and its child) if it outlasts <see cref="RunBudget"/>.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var budget = new CancellationTokenSource(RunBudget);
        try
        {
            await process.WaitForExitAsync(budget.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{Path.GetFileName(file)} ran longer than {RunBudget.TotalSeconds:F0} s and was killed");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Finds <c>gcc</c>, else <c>cc</c>, on the path.</summary>
    private static string? FindCompiler()
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(Path.IsPathFullyQualified)
            .ToList();
        return Compilers
            .SelectMany(name => folders.Select(folder => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists);
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";
}

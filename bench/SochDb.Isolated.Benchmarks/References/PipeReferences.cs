using System.Globalization;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// The physical references of issue #8: the raw cost of a round trip of a 64-byte message between two processes over
/// a pipe, with nothing else on the wire, one message in flight and <see cref="Pipelined"/> in flight. R1 is .NET
/// with async reads (<see cref="DotnetPipeReference"/>); R0 is a busy-polling C program, the floor with no wake-ups,
/// and the same program blocking shows what the kernel's wake-ups cost (<see cref="NativePipeReference"/>).
/// </summary>
internal static class PipeReferences
{
    /// <summary>Messages kept outstanding in the pipelined rows.</summary>
    public const int Pipelined = 64;

    /// <summary>The hidden first argument of the bench executable that runs these references alone.</summary>
    public const string OnlyArgument = "--pipe-references";

    /// <summary>Runs every reference, .NET first.</summary>
    /// <param name="profile">The message counts: <see cref="BenchmarkProfile.ReferenceWarmup"/>,
    /// <see cref="BenchmarkProfile.ReferenceRoundTrips"/> and <see cref="BenchmarkProfile.ReferencePipelinedMessages"/>.</param>
    /// <param name="progress">Reports progress.</param>
    /// <returns>The rows in the order <c>r1-async-1</c>, <c>r1-async-64</c>, <c>r0-busy-1</c>, <c>r0-busy-64</c>,
    /// <c>native-block-1</c>, <c>native-block-64</c>; a row that could not be measured says why.</returns>
    public static async Task<IReadOnlyList<ReferenceRow>> RunAsync(BenchmarkProfile profile, Action<string> progress)
    {
        var dotnet = await DotnetPipeReference.RunAsync(profile, Pipelined, progress);
        var native = await NativePipeReference.RunAsync(profile, Pipelined, progress);
        return [.. dotnet, .. native];
    }

    /// <summary>
    /// Runs the references alone and prints their table: <c>SochDb.Isolated.Benchmarks --pipe-references [--quick]</c>.
    /// </summary>
    /// <param name="args">The benchmark's usual arguments; only the profile is used.</param>
    /// <returns>The exit code: 0, or 2 on bad arguments.</returns>
    public static async Task<int> RunOnlyAsync(string[] args)
    {
        if (!BenchmarkOptions.TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            return 2;
        }

        var rows = await RunAsync(options!.Profile, message =>
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.UtcNow:HH:mm:ss}] {message}")));
        var text = new System.Text.StringBuilder();
        ReferenceRow.AppendMarkdown(text, rows);
        Console.Out.Write(text.ToString());
        return 0;
    }
}

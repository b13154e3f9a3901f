using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipes;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// R1: two .NET processes echoing 64-byte messages with async reads, as the runtime does them. The parent is the
/// bench process; the child is the bench executable itself in its hidden <see cref="PipeEchoChild.Argument"/> mode.
/// The channel is the worker's: a <see cref="NamedPipeServerStream"/> the child connects to (a Unix domain socket on
/// Linux and macOS), read with <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/> on both sides.
/// </summary>
internal static class DotnetPipeReference
{
    /// <summary>The identifier of the row with one message in flight.</summary>
    public const string OneId = "r1-async-1";

    /// <summary>The identifier of the pipelined row.</summary>
    public const string PipelinedId = "r1-async-64";

    /// <summary>What the rows measure.</summary>
    public const string Name = "(R1) .NET async reads, the worker's pipe (NamedPipeStream)";

    /// <summary>Runs the one-in-flight then the pipelined measurement against one child.</summary>
    /// <param name="profile">The message counts.</param>
    /// <param name="pipelined">Messages kept outstanding in the pipelined measurement.</param>
    /// <param name="progress">Reports progress.</param>
    /// <returns>The two rows, or two not-measured rows when the child could not be run.</returns>
    public static async Task<IReadOnlyList<ReferenceRow>> RunAsync(BenchmarkProfile profile, int pipelined, Action<string> progress)
    {
        if (ChildStartInfo() is not { } info)
        {
            return Skipped("not measured: the bench assembly has no file to start a child from", pipelined);
        }

        var pipeName = "sochdb-bench-" + Guid.NewGuid().ToString("N");
        var pipe = new NamedPipeServerStream(pipeName, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        info.ArgumentList.Add(pipeName);
        Process? child = null;
        try
        {
            progress($"references: R1, starting the echo child ({info.FileName})");
            child = Process.Start(info) ?? throw new InvalidOperationException("the echo child did not start");
            using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await pipe.WaitForConnectionAsync(budget.Token);
            }

            progress($"references: R1, 1 in flight ({profile.ReferenceRoundTrips:N0} messages)");
            var one = await MeasureAsync(pipe, OneId, 1, profile);
            progress($"references: R1, {pipelined} in flight ({profile.ReferencePipelinedMessages:N0} messages)");
            var many = await MeasureAsync(pipe, PipelinedId, pipelined, profile);
            return [one, many];
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or InvalidDataException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            return Skipped($"not measured: {ex.Message}", pipelined);
        }
        finally
        {
            // End of file tells the child to go; one that does not is killed, so none is left behind.
            await pipe.DisposeAsync();
            if (child is not null)
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await child.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    child.Kill(entireProcessTree: true);
                    await child.WaitForExitAsync();
                }

                child.Dispose();
            }
        }
    }

    private static async Task<ReferenceRow> MeasureAsync(Stream pipe, string id, int inFlight, BenchmarkProfile profile)
    {
        var count = inFlight == 1 ? profile.ReferenceRoundTrips : profile.ReferencePipelinedMessages;
        await RoundTripAsync(pipe, profile.ReferenceWarmup, inFlight, null);
        var ticks = new long[count];
        var elapsed = await RoundTripAsync(pipe, count, inFlight, ticks);
        var stats = LatencyStats.FromTicks(ticks);
        return ReferenceRow.Measured(id, Name, inFlight, count, stats.P50Us, stats.P99Us, stats.MeanUs, count / (elapsed / (double)Stopwatch.Frequency));
    }

    /// <summary>
    /// Sends <paramref name="count"/> messages, keeping <paramref name="window"/> outstanding, and reads every echo;
    /// the same loop as the native reference's.
    /// </summary>
    /// <returns>The ticks from the first send to the last echo.</returns>
    private static async Task<long> RoundTripAsync(Stream pipe, int count, int window, long[]? ticks)
    {
        var output = new byte[PipeEchoChild.MessageSize];
        var input = new byte[PipeEchoChild.MessageSize];
        Array.Fill(output, (byte)0xA5);
        var sent = new long[window];
        var next = 0;
        var done = 0;
        var start = Stopwatch.GetTimestamp();
        while (next < count && next - done < window)
        {
            BinaryPrimitives.WriteInt64LittleEndian(output, next);
            sent[next % window] = Stopwatch.GetTimestamp();
            await pipe.WriteAsync(output);
            next++;
        }

        while (done < count)
        {
            await pipe.ReadExactlyAsync(input);
            var now = Stopwatch.GetTimestamp();
            if (BinaryPrimitives.ReadInt64LittleEndian(input) != done)
            {
                throw new InvalidDataException($"echo out of order: expected message {done}");
            }

            if (ticks is not null)
            {
                ticks[done] = now - sent[done % window];
            }

            done++;
            if (next < count)
            {
                BinaryPrimitives.WriteInt64LittleEndian(output, next);
                sent[next % window] = Stopwatch.GetTimestamp();
                await pipe.WriteAsync(output);
                next++;
            }
        }

        return Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// Starts the bench assembly itself: under the <c>dotnet</c> host when this process runs under it, else through
    /// the bench's apphost beside the assembly (present in the bench's and the CLI's output folders), else through
    /// <c>dotnet</c> on the path. The pipe name is added by the caller.
    /// </summary>
    private static ProcessStartInfo? ChildStartInfo()
    {
        var assembly = typeof(PipeEchoChild).Assembly.Location;
        if (string.IsNullOrEmpty(assembly))
        {
            return null;
        }

        var host = Environment.ProcessPath;
        var apphost = Path.ChangeExtension(assembly, OperatingSystem.IsWindows() ? ".exe" : null);
        ProcessStartInfo info;
        if (host is not null && Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info = new ProcessStartInfo(host) { ArgumentList = { assembly } };
        }
        else if (File.Exists(apphost))
        {
            info = new ProcessStartInfo(apphost);
        }
        else
        {
            info = new ProcessStartInfo("dotnet") { ArgumentList = { assembly } };
        }

        info.ArgumentList.Add(PipeEchoChild.Argument);
        info.UseShellExecute = false;
        info.CreateNoWindow = true;
        return info;
    }

    private static ReferenceRow[] Skipped(string reason, int pipelined) =>
        [ReferenceRow.Skipped(OneId, Name, 1, reason), ReferenceRow.Skipped(PipelinedId, Name, pipelined, reason)];
}

using System.Globalization;

namespace SochDb.Isolated.Benchmarks;

/// <summary>One physical reference's figures: round trips of 64-byte messages between two processes over a pipe.</summary>
/// <param name="Id">A stable identifier (<c>r1-async-1</c>, <c>r0-busy-64</c>, ...).</param>
/// <param name="Name">What was measured, and how.</param>
/// <param name="InFlight">Messages kept outstanding: 1 (send, wait for the echo, repeat) or 64 (pipelined).</param>
/// <param name="Iterations">Timed messages round-tripped; 0 when not measured.</param>
/// <param name="P50Us">Per-message median, from its send to its echo (nearest rank).</param>
/// <param name="P99Us">Per-message 99th percentile (nearest rank).</param>
/// <param name="MeanUs">Per-message mean.</param>
/// <param name="MessagesPerSecond">Messages round-tripped per wall-clock second.</param>
/// <param name="NotMeasured">Why the row was not measured, or <see langword="null"/> when it was.</param>
internal sealed record ReferenceRow(
    string Id,
    string Name,
    int InFlight,
    long Iterations,
    double P50Us,
    double P99Us,
    double MeanUs,
    double MessagesPerSecond,
    string? NotMeasured)
{
    /// <summary>Builds a measured row, rounded for the report.</summary>
    /// <param name="id">The row's identifier.</param>
    /// <param name="name">What was measured.</param>
    /// <param name="inFlight">Messages kept outstanding.</param>
    /// <param name="iterations">Timed messages.</param>
    /// <param name="p50Us">The median in microseconds.</param>
    /// <param name="p99Us">The 99th percentile in microseconds.</param>
    /// <param name="meanUs">The mean in microseconds.</param>
    /// <param name="messagesPerSecond">Messages round-tripped per second.</param>
    /// <returns>The row.</returns>
    public static ReferenceRow Measured(string id, string name, int inFlight, long iterations, double p50Us, double p99Us, double meanUs, double messagesPerSecond) =>
        new(id, name, inFlight, iterations, Math.Round(p50Us, 3), Math.Round(p99Us, 3), Math.Round(meanUs, 3), Math.Round(messagesPerSecond), null);

    /// <summary>Builds a row that was not measured.</summary>
    /// <param name="id">The row's identifier.</param>
    /// <param name="name">What would have been measured.</param>
    /// <param name="inFlight">Messages that would have been kept outstanding.</param>
    /// <param name="reason">Why it was not, e.g. <c>not measured: no C compiler</c>.</param>
    /// <returns>The row.</returns>
    public static ReferenceRow Skipped(string id, string name, int inFlight, string reason) =>
        new(id, name, inFlight, 0, 0, 0, 0, 0, reason);

    /// <summary>Appends the Markdown table of the references, when there are any.</summary>
    /// <param name="text">The report being written.</param>
    /// <param name="rows">The references.</param>
    public static void AppendMarkdown(System.Text.StringBuilder text, IReadOnlyList<ReferenceRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var c = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine("Physical references (64-byte messages): two processes echoing 64-byte messages over a pipe, nothing else on the wire; latency per message from its send to its echo.");
        text.AppendLine();
        text.AppendLine("| Reference | in flight | messages | p50 µs | p99 µs | mean µs | messages/s |");
        text.AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            text.AppendLine(row.NotMeasured is { } reason
                ? string.Create(c, $"| {row.Name} | {row.InFlight} | – | – | – | – | {reason} |")
                : string.Create(c, $"| {row.Name} | {row.InFlight} | {row.Iterations:N0} | {row.P50Us:F2} | {row.P99Us:F2} | {row.MeanUs:F2} | {row.MessagesPerSecond:N0} |"));
        }

        text.AppendLine();
        text.AppendLine("R1: the bench process and its own executable as echo child, `ReadAsync`/`WriteAsync` on the worker's channel (`NamedPipeServerStream`/`NamedPipeClientStream`, a Unix domain socket on Linux). R0 and blocking: one C program (`pipe_echo.c`, `gcc -O2`), forked, over two `pipe()`s. messages/s = messages round-tripped per wall-clock second; percentiles are nearest-rank.");
    }
}

using System.Text;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>
/// Splits a worker's standard error (or output) into lines while holding at most one bounded line in memory.
/// </summary>
/// <remarks>
/// Replaces <see cref="System.Diagnostics.Process.BeginErrorReadLine"/>, whose reader appends to a
/// <see cref="StringBuilder"/> until it sees a line break: a worker that writes without ever ending a line would grow
/// the supervisor's memory without bound. Here a line longer than the cap is passed on cut at the cap (marked as cut)
/// as soon as the cap is reached, and the rest of it is read and dropped.
/// </remarks>
internal static class OutputLineReader
{
    /// <summary>What a cut line ends with.</summary>
    internal const string CutMarker = " …[cut]";

    /// <summary>Reads <paramref name="stream"/> to its end, passing each line (without its line break) to <paramref name="onLine"/>.</summary>
    /// <param name="stream">The stream; not disposed here.</param>
    /// <param name="maxLineBytes">The longest line passed on, in bytes of UTF-8.</param>
    /// <param name="onLine">Receives each line; called on the reading task, one line at a time.</param>
    /// <returns>A task that completes at the end of the stream, or when reading fails because the process is gone.</returns>
    public static async Task PumpAsync(Stream stream, int maxLineBytes, Action<string> onLine)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(onLine);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        var buffer = new byte[Math.Min(maxLineBytes, 16 * 1024)];
        var line = new byte[maxLineBytes];
        var length = 0;
        var cut = false;
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                var chunk = buffer.AsSpan(0, read);
                while (!chunk.IsEmpty)
                {
                    var end = chunk.IndexOf((byte)'\n');
                    var piece = end < 0 ? chunk : chunk[..end];
                    if (!cut)
                    {
                        var room = maxLineBytes - length;
                        piece[..Math.Min(room, piece.Length)].CopyTo(line.AsSpan(length));
                        length += Math.Min(room, piece.Length);
                        if (piece.Length > room)
                        {
                            // Full: pass on what we have now rather than wait for a line break that may never come.
                            onLine(Decode(line, length) + CutMarker);
                            cut = true;
                        }
                    }

                    if (end < 0)
                    {
                        break;
                    }

                    if (!cut)
                    {
                        onLine(Decode(line, length));
                    }

                    length = 0;
                    cut = false;
                    chunk = chunk[(end + 1)..];
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe broke with the process; whatever was whole has been passed on.
        }

        if (length > 0 && !cut)
        {
            onLine(Decode(line, length));
        }
    }

    private static string Decode(byte[] line, int length)
    {
        var text = line.AsSpan(0, length);
        return Encoding.UTF8.GetString(text.EndsWith((byte)'\r') ? text[..^1] : text);
    }
}

using System.IO.Pipes;

namespace SochDb.Isolated.Benchmarks;

/// <summary>
/// The child of the R1 reference: the bench executable started with <see cref="Argument"/> and a pipe name. It
/// connects to the parent's pipe the way a worker does and echoes every 64-byte message back until end of file.
/// </summary>
internal static class PipeEchoChild
{
    /// <summary>The hidden first argument that starts the bench executable in this mode.</summary>
    public const string Argument = "--pipe-echo-child";

    /// <summary>The size of every message.</summary>
    public const int MessageSize = 64;

    /// <summary>Connects to the parent's pipe and echoes until it closes.</summary>
    /// <param name="pipeName">The parent's pipe.</param>
    /// <returns>The exit code: 0 on end of file, 1 when the pipe could not be connected or failed.</returns>
    public static async Task<int> RunAsync(string pipeName)
    {
        await using var pipe = new NamedPipeClientStream(".", pipeName, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            using var connectBudget = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await pipe.ConnectAsync(connectBudget.Token);
            var buffer = new byte[MessageSize];
            while (await pipe.ReadAtLeastAsync(buffer, MessageSize, throwOnEndOfStream: false) == MessageSize)
            {
                await pipe.WriteAsync(buffer);
            }

            return 0;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or TimeoutException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"pipe echo child: {ex.Message}");
            return 1;
        }
    }
}

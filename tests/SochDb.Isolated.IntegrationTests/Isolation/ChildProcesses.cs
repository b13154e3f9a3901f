using System.Diagnostics;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Isolation;

/// <summary>Starts the shell commands a test needs and kills and reaps every one of them on dispose, so no test leaks a process.</summary>
internal sealed class ChildProcesses : IAsyncDisposable
{
    private readonly List<(Process Process, Task<string> Stderr)> started = [];

    /// <summary>Starts <c>/bin/sh -c <paramref name="command"/></c> with its output captured.</summary>
    public Process Shell(string command)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        var process = Process.Start(info) ?? throw new InvalidOperationException("/bin/sh did not start");
        started.Add((process, process.StandardError.ReadToEndAsync()));
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }

    /// <summary>Gets what a started process wrote to stderr, once it has closed the stream.</summary>
    public Task<string> StderrOf(Process process) => started.Single(s => s.Process == process).Stderr;

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _) in started)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            await process.WaitForExitAsync().DefaultTimeout();
            process.Dispose();
        }
    }
}

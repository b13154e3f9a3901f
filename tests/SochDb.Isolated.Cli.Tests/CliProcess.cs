using System.Diagnostics;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>Runs <c>sochdb-isolated</c> as a real child process and collects what it printed.</summary>
internal static class CliProcess
{
    /// <summary>Gets the CLI's assembly in the test output folder.</summary>
    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "sochdb-isolated.dll");

    /// <summary>Runs the CLI to completion (bounded), killing it on timeout.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = AppContext.BaseDirectory };
        info.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        try
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().DefaultTimeout();
            return (process.ExitCode, await stdout.DefaultTimeout(), await stderr.DefaultTimeout());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }
}

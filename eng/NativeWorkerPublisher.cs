using System.Diagnostics;

namespace SochDb.Isolated.Engineering;

/// <summary>
/// Publishes the Native AOT worker with <c>eng/publish-native-worker.sh</c>, the script users run, so the tests and
/// the benchmark exercise exactly what ships. Linked into the integration tests and the benchmark suite. The script
/// is incremental: when nothing changed it returns in seconds.
/// </summary>
internal static class NativeWorkerPublisher
{
    /// <summary>Publishes the worker into <paramref name="outputFolder"/> under the repository root.</summary>
    /// <param name="outputFolder">The output folder, relative to the repository root (e.g. <c>artifacts/native-worker</c>).</param>
    /// <param name="budget">How long the publish may take; a first one restores the ILCompiler packages and links.</param>
    /// <returns>
    /// The executable's path; or, when this machine cannot build it (not Linux, no source checkout, no C toolchain:
    /// the script exits 2), why not; or, when the build itself failed, the script's output as a failure.
    /// </returns>
    public static async Task<NativeWorkerPublishResult> PublishAsync(string outputFolder, TimeSpan budget)
    {
        if (!OperatingSystem.IsLinux())
        {
            return NativeWorkerPublishResult.Unavailable("the Native AOT worker is built by a bash script for Linux");
        }

        var root = RepositoryRoot();
        if (root is null)
        {
            return NativeWorkerPublishResult.Unavailable("not run from a source checkout (no SochDb.Isolated.sln above this program)");
        }

        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(root, "eng", "publish-native-worker.sh"));
        info.ArgumentList.Add(Path.Combine(root, outputFolder));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(budget);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return NativeWorkerPublishResult.Failed($"eng/publish-native-worker.sh ran for more than {budget.TotalMinutes:0} minutes");
        }

        // Bounded too: a process the script left behind could hold the pipes open after the script itself exited.
        var path = (await stdout.WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false)).Trim().Split('\n')[^1];
        var errors = (await stderr.WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false)).Trim();
        return process.ExitCode switch
        {
            0 when File.Exists(path) => new(path, null, null),
            2 => NativeWorkerPublishResult.Unavailable(errors),
            _ => NativeWorkerPublishResult.Failed($"eng/publish-native-worker.sh failed with exit code {process.ExitCode}:\n{errors}"),
        };
    }

    private static string? RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "SochDb.Isolated.sln")))
                {
                    return folder.FullName;
                }
            }
        }

        return null;
    }
}

/// <summary>The outcome of publishing the Native AOT worker: exactly one of the three is set.</summary>
/// <param name="WorkerPath">The executable, when it was built.</param>
/// <param name="Unavailability">Why this machine cannot build it (a reason to skip, not a failure).</param>
/// <param name="Failure">What went wrong when the build failed.</param>
internal sealed record NativeWorkerPublishResult(string? WorkerPath, string? Unavailability, string? Failure)
{
    /// <summary>A machine that cannot build the native worker.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The result.</returns>
    public static NativeWorkerPublishResult Unavailable(string reason) => new(null, reason, null);

    /// <summary>A build that failed.</summary>
    /// <param name="failure">The script's output.</param>
    /// <returns>The result.</returns>
    public static NativeWorkerPublishResult Failed(string failure) => new(null, null, failure);
}

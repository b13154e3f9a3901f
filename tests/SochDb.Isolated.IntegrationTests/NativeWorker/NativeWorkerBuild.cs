using System.Diagnostics;

namespace SochDb.Isolated.IntegrationTests.NativeWorker;

/// <summary>
/// Publishes the Native AOT worker once per test run with <c>eng/publish-native-worker.sh</c>, the same script users
/// run, so the tests exercise exactly what ships. A machine that cannot build it (not Linux, no C toolchain: the
/// script exits 2) skips the native tests with the script's reason; any other failure fails them.
/// </summary>
internal static class NativeWorkerBuild
{
    private static readonly Lazy<Task<NativeWorkerBuildResult>> Build = new(PublishAsync);

    /// <summary>Gets the published worker, publishing it on first use.</summary>
    /// <returns>The worker's path, or why it cannot be built here.</returns>
    public static Task<NativeWorkerBuildResult> GetAsync() => Build.Value;

    private static async Task<NativeWorkerBuildResult> PublishAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new(null, "the Native AOT worker is built by a bash script for Linux");
        }

        var root = RepositoryRoot();
        if (root is null)
        {
            return new(null, "not run from a source checkout (no SochDb.Isolated.sln above the test assembly)");
        }

        // Its own output folder: a developer's artifacts/native-worker may be in use by a benchmark run.
        var output = Path.Combine(root, "artifacts", "native-worker-tests");
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(root, "eng", "publish-native-worker.sh"));
        info.ArgumentList.Add(output);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // Ten minutes: a first publish restores the ILCompiler packages and links on a loaded 2-core machine.
        using var budget = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(budget.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException("eng/publish-native-worker.sh ran for more than 10 minutes");
        }

        var path = (await stdout).Trim().Split('\n')[^1];
        return process.ExitCode switch
        {
            0 when File.Exists(path) => new(path, null),
            2 => new(null, (await stderr).Trim()),
            _ => throw new InvalidOperationException($"eng/publish-native-worker.sh failed with exit code {process.ExitCode}:\n{await stderr}\n{await stdout}"),
        };
    }

    private static string? RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "SochDb.Isolated.sln")))
            {
                return folder.FullName;
            }
        }

        return null;
    }
}

/// <summary>The outcome of publishing the Native AOT worker.</summary>
/// <param name="WorkerPath">The executable, when it was built.</param>
/// <param name="SkipReason">Why it cannot be built on this machine, otherwise.</param>
internal sealed record NativeWorkerBuildResult(string? WorkerPath, string? SkipReason);

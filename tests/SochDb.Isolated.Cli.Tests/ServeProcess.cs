using System.Diagnostics;
using System.Text;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>
/// A real <c>sochdb-isolated serve</c> child process, started from this test's output folder, with a protocol client on
/// its standard streams. Disposal kills it and every worker the test recorded, and waits for them.
/// </summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    /// <summary>Resources for plain calls.</summary>
    public const string DefaultResources = "memory_limit_mb = 2\ntimeout_ms = 2000\nfuel_limit = 10_000_000";

    /// <summary>Resources that let <c>spin</c> run into its deadline rather than out of fuel.</summary>
    public const string SpinResources = "memory_limit_mb = 2\ntimeout_ms = 200\nfuel_limit = 1_000_000_000_000";

    private readonly StringBuilder stderr = new();
    private readonly List<int> workers = [];

    private ServeProcess(DirectoryInfo folder, string? dataFolder = null)
    {
        Folder = folder;
        DataFolder = dataFolder ?? Path.Combine(folder.FullName, "data");
        var cli = CliProcess.CliPath;
        Assert.True(File.Exists(cli), $"the CLI is not in the test output: {cli}");
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "sochdb-isolated.runtimeconfig.json")), "the CLI's runtimeconfig.json is not in the test output");

        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder.FullName,
        };
        info.ArgumentList.Add(cli);
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--data");
        info.ArgumentList.Add(DataFolder);
        Process = Process.Start(info)!;
        Process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        Process.BeginErrorReadLine();
        Client = new JsonRpcTestClient(Process.StandardInput.BaseStream, Process.StandardOutput.BaseStream);
    }

    /// <summary>Gets the process.</summary>
    public Process Process { get; }

    /// <summary>Gets the protocol client.</summary>
    public JsonRpcTestClient Client { get; }

    /// <summary>Gets the temporary folder: the process's working directory and where manifests are written.</summary>
    public DirectoryInfo Folder { get; }

    /// <summary>Gets the folder passed as <c>--data</c>.</summary>
    public string DataFolder { get; }

    /// <summary>Gets what the process wrote to standard error so far.</summary>
    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    /// <summary>Starts a server.</summary>
    public static ServeProcess Start() => new(Directory.CreateTempSubdirectory("sochdb-serve-"));

    /// <summary>Starts a second server on this one's data folder (after this one exited), in a folder of its own.</summary>
    public ServeProcess Restart()
    {
        var next = new DirectoryInfo(Path.Combine(Folder.FullName, "restart-" + Guid.NewGuid().ToString("N")));
        next.Create();
        return new ServeProcess(next, DataFolder);
    }

    /// <summary>Writes a manifest for the <c>basic</c> fixture with byte and string signatures for <c>echo</c> and <c>upper</c>.</summary>
    /// <returns>The manifest's path.</returns>
    public string WriteManifest(string fileName, string resources = DefaultResources, string version = "1.0.0")
    {
        var path = Path.Combine(Folder.FullName, fileName);
        File.WriteAllText(path, $"""
            [plugin]
            name = "basic"
            version = "{version}"
            wasm = '{Fixtures.WatPath("basic")}'

            [resources]
            {resources}

            [exports]
            functions = ["echo", "upper"]

            [exports.signatures.echo]
            params = ["bytes"]
            returns = ["bytes"]

            [exports.signatures.upper]
            params = ["string"]
            returns = ["string"]
            """);
        return path;
    }

    /// <summary>Records a worker to kill if the test leaves it running.</summary>
    public int TrackWorker(int pid)
    {
        lock (workers)
        {
            workers.Add(pid);
        }

        return pid;
    }

    /// <summary>Closes the server's standard input.</summary>
    public void CloseInput() => Process.StandardInput.Close();

    /// <summary>Waits for the process to exit.</summary>
    /// <returns>Its exit code.</returns>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        try
        {
            await Process.WaitForExitAsync().WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"serve did not exit within {bound.TotalSeconds} s; stderr:\n{Stderr}");
        }

        return Process.ExitCode;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }

            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            lock (workers)
            {
                workers.ForEach(ProcessProbe.KillIfAlive);
            }

            Process.Dispose();
            try
            {
                Folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A worker may still hold a file for a moment; the temp folder is the OS's to clean.
            }
        }
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment) ? fromEnvironment : "dotnet";
    }
}

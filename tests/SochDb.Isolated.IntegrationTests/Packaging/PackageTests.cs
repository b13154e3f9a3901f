using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml.Linq;

namespace SochDb.Isolated.IntegrationTests.Packaging;

/// <summary>
/// The packages as a consumer sees them: packs Protocol, Supervisor and the CLI tool from this build into a folder
/// feed, publishes the sample against the packages (not the projects) in a clean copy outside the repository, runs
/// it, and installs and runs the tool. Restore is offline: the feed, plus the local NuGet cache as a second source,
/// into a private packages folder so that no stale copy of our packages is ever used. One test, because packing and
/// building take a while.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Packed_packages_work_from_a_folder_feed_in_the_sample_and_as_a_tool()
    {
        var repo = FindRepoRoot();
        var version = ReadVersion(repo);
        var root = Directory.CreateTempSubdirectory("sochdb-pack-");
        try
        {
            var feed = Path.Combine(root.FullName, "feed");
            var packages = Path.Combine(root.FullName, "packages");
            var work = Path.Combine(root.FullName, "work");

            // Pack from this build's outputs (the test project references the three projects, so they are built).
            foreach (var project in new[] { "src/Protocol/SochDb.Isolated.Protocol.csproj", "src/Supervisor/SochDb.Isolated.Supervisor.csproj", "src/Cli/SochDb.Isolated.Cli.csproj" })
            {
                await RunDotnetAsync(repo, null, "pack", Path.Combine(repo, project), "-c", Configuration, "--no-build", "--no-restore", "-o", feed, "-nodeReuse:false");
            }

            Assert.True(File.Exists(Path.Combine(feed, $"SochDb.Isolated.Protocol.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"SochDb.Isolated.Supervisor.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"sochdb-isolated.{version}.nupkg")));

            // A clean copy of the sample, outside the repository: no project of ours is reachable from there.
            var sample = Path.Combine(work, "samples", "SochDb.Isolated.Sample");
            CopySample(Path.Combine(repo, "samples", "SochDb.Isolated.Sample"), sample);
            File.Copy(Path.Combine(repo, "samples", "Directory.Packages.props"), Path.Combine(work, "samples", "Directory.Packages.props"));
            File.Copy(Path.Combine(repo, "Directory.Packages.props"), Path.Combine(work, "Directory.Packages.props"));
            var config = Path.Combine(work, "nuget.config");
            WriteNuGetConfig(config, feed);

            var publish = Path.Combine(work, "out");
            await RunDotnetAsync(work, packages, "publish", sample, "-c", "Release", "-o", publish, "--configfile", config,
                "-p:UsePackages=true", $"-p:SochDbPackageVersion={version}", "-nodeReuse:false", "-p:UseSharedCompilation=false");

            // The Supervisor package was restored from the feed, and its worker landed in the build and publish folders.
            Assert.True(File.Exists(Path.Combine(packages, "sochdb.isolated.supervisor", version, "tools", "worker", "SochDb.Isolated.Worker.dll")));
            var build = Path.Combine(sample, "bin", "Release", "net10.0");
            foreach (var folder in new[] { build, publish })
            {
                var worker = Path.Combine(folder, "sochdb-worker");
                Assert.True(File.Exists(Path.Combine(worker, "SochDb.Isolated.Worker.dll")), $"no worker in {worker}");
                Assert.True(File.Exists(Path.Combine(worker, "SochDb.Isolated.Worker.deps.json")));
                Assert.True(File.Exists(Path.Combine(worker, "SochDb.Isolated.Worker.runtimeconfig.json")));
                Assert.NotEmpty(Directory.GetFiles(Path.Combine(worker, "runtimes", RuntimeInformation.RuntimeIdentifier, "native")));
                Assert.False(File.Exists(Path.Combine(folder, "SochDb.Isolated.Worker.dll")), "the worker should come from the package, not a project reference");
            }

            var run = await RunAsync(Dotnet(), publish, null, Path.Combine(publish, "SochDb.Isolated.Sample.dll"), "--Sample:Calls=40");
            Assert.Contains($"sample: worker from the package: {Path.Combine(publish, "sochdb-worker", "SochDb.Isolated.Worker.dll")}", run, StringComparison.Ordinal);
            Assert.Contains("sample: mask_email(\"alice@example.com\") = \"a****@example.com\"", run, StringComparison.Ordinal);
            Assert.Contains("sample: 40 calls ok, 0 failed", run, StringComparison.Ordinal);
            Assert.Contains("stats: pii-mask calls=40 ok=40 failed=0", run, StringComparison.Ordinal);
            Assert.Contains("sample: done", run, StringComparison.Ordinal);

            // OpenTelemetry's console exporter prints the supervisor's meter when the host stops.
            Assert.Contains("Metric Name: sochdb.isolated.calls", run, StringComparison.Ordinal);
            Assert.Contains("sochdb.call.outcome: ok sochdb.function: mask_email sochdb.plugin.id: pii-mask", run, StringComparison.Ordinal);

            // The CLI as a .NET tool, from the same feed, running a plugin in the worker it carries.
            var tools = Path.Combine(root.FullName, "tools");
            await RunDotnetAsync(work, packages, "tool", "install", "--tool-path", tools, "--configfile", config, "sochdb-isolated", "--version", version);
            var tool = Path.Combine(tools, OperatingSystem.IsWindows() ? "sochdb-isolated.exe" : "sochdb-isolated");
            var help = await RunAsync(tool, work, packages, "--help");
            Assert.Contains("sochdb-isolated", help, StringComparison.Ordinal);
            var call = await RunAsync(tool, work, packages, "run", Path.Combine(sample, "plugins", "plugin.toml"), "--call", "mask_email", "--arg", "string:alice@example.com");
            Assert.Contains("result[0] = \"a****@example.com\"", call, StringComparison.Ordinal);
        }
        finally
        {
            DeleteQuietly(root);
        }
    }

    private static Task<string> RunDotnetAsync(string workingDirectory, string? packages, params string[] arguments)
        => RunAsync(Dotnet(), workingDirectory, packages, arguments);

    /// <summary>Runs a process to its end within <see cref="StepTimeout"/>, killing its whole tree otherwise; fails on a non-zero exit.</summary>
    private static async Task<string> RunAsync(string fileName, string workingDirectory, string? packages, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The test host's MSBuild settings must not leak into the child builds; ours go to a private packages folder.
        foreach (var name in info.Environment.Keys.Where(key => key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        if (packages is not null)
        {
            info.Environment["NUGET_PACKAGES"] = packages;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (var timeout = new CancellationTokenSource(StepTimeout))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Fail($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish within {StepTimeout}:\n{Text(output)}");
            }
        }

        // Let the asynchronous readers drain.
        process.WaitForExit();
        var text = Text(output);
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    /// <summary>The dotnet host that runs the tests (the test host sets DOTNET_HOST_PATH), else the one on the PATH.</summary>
    private static string Dotnet()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static void WriteNuGetConfig(string path, string feed)
    {
        // Offline: our feed, and the local cache that the solution's own restore filled, as a plain folder source.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var sources = new XElement("packageSources", new XElement("clear"), new XElement("add", new XAttribute("key", "feed"), new XAttribute("value", feed)), new XElement("add", new XAttribute("key", "cache"), new XAttribute("value", cache)));
        if (Directory.Exists("/opt/nuget/packages"))
        {
            sources.Add(new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", "/opt/nuget/packages")));
        }

        new XDocument(new XElement("configuration", sources)).Save(path);
    }

    private static void CopySample(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj")
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string ReadVersion(string repo)
    {
        var props = XDocument.Load(Path.Combine(repo, "Directory.Build.props"));
        return props.Descendants("SochDbVersion").Single().Value;
    }

    private static void DeleteQuietly(DirectoryInfo folder)
    {
        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SochDb.Isolated.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"SochDb.Isolated.sln was not found above {AppContext.BaseDirectory}");
    }
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Workers;
using Microsoft.Extensions.Logging.Abstractions;

namespace SochDb.Isolated.Supervisor.Tests.Hardening;

public sealed class WorkerLauncherTests
{
    private static readonly Dictionary<string, string> Supervisor = new(StringComparer.Ordinal)
    {
        ["AWS_SECRET_ACCESS_KEY"] = "do-not-leak",
        ["LD_PRELOAD"] = "/tmp/evil.so",
        ["DOTNET_STARTUP_HOOKS"] = "/tmp/hook.dll",
        ["HOME"] = "/root",
        ["PATH"] = "/usr/bin:/bin",
        ["DOTNET_ROOT"] = "/opt/dotnet",
        ["SystemRoot"] = @"C:\Windows",
    };

    private static string? Read(string name) => Supervisor.GetValueOrDefault(name);

    [Fact]
    public void BuildEnvironment_Linux_HoldsOnlyWhatTheRuntimeNeeds()
    {
        var environment = WorkerLauncher.BuildEnvironment(new Dictionary<string, string>(), Read, "/var/tmp/sup/", windows: false);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["DOTNET_ROOT"] = "/opt/dotnet",
                ["TMPDIR"] = "/var/tmp/sup/",
                [ProtocolConstants.WorkerMarkerVariable] = "1",
                ["DOTNET_gcServer"] = "0",
                ["DOTNET_TieredPGO"] = "0",
                ["DOTNET_EnableDiagnostics"] = "0",
            },
            environment);
    }

    [Fact]
    public void BuildEnvironment_Windows_KeepsTheSystemFoldersAndTemp()
    {
        var environment = WorkerLauncher.BuildEnvironment(new Dictionary<string, string>(), Read, @"C:\Temp\", windows: true);

        Assert.Equal(@"C:\Windows", environment["SYSTEMROOT"]);
        Assert.Equal(@"C:\Temp\", environment["TEMP"]);
        Assert.Equal(@"C:\Temp\", environment["TMP"]);
        Assert.False(environment.ContainsKey("TMPDIR"));
        Assert.False(environment.ContainsKey("PATH"));
        Assert.False(environment.ContainsKey("AWS_SECRET_ACCESS_KEY"));
    }

    [Fact]
    public void BuildEnvironment_OperatorEntries_AreAddedAndWinOverOurs()
    {
        var extra = new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "1", ["MY_SETTING"] = "x" };

        var environment = WorkerLauncher.BuildEnvironment(extra, Read, "/tmp/", windows: false);

        Assert.Equal("1", environment["DOTNET_EnableDiagnostics"]);
        Assert.Equal("x", environment["MY_SETTING"]);
        Assert.DoesNotContain("LD_PRELOAD", environment.Keys);
        Assert.DoesNotContain("DOTNET_STARTUP_HOOKS", environment.Keys);
    }

    [Fact]
    public void CreateStartInfo_WithChain_PutsTheWorkerCommandBehindItAndScrubsTheRealEnvironment()
    {
        const string canary = "SOCHDB_UNIT_CANARY_7f3a";
        Environment.SetEnvironmentVariable(canary, "secret");
        try
        {
            var plan = new HardeningPlan(["/usr/bin/setpriv", "--no-new-privs", "--"], null, HardeningExpectation.None, [], null, false, "test");
            var workerPath = Path.Combine(AppContext.BaseDirectory, WorkerLauncher.WorkerAssembly);

            var info = WorkerLauncher.CreateStartInfo(workerPath, new PluginSupervisorOptions(), plan, NullLogger.Instance);

            Assert.Equal("/usr/bin/setpriv", info.FileName);
            Assert.Equal(["--no-new-privs", "--", WorkerLauncher.DotnetHost(), workerPath], info.ArgumentList);
            Assert.True(Path.IsPathFullyQualified(info.ArgumentList[2]), info.ArgumentList[2]);
            Assert.DoesNotContain(canary, info.Environment.Keys);
            Assert.Equal(Path.GetTempPath(), info.Environment[OperatingSystem.IsWindows() ? "TEMP" : "TMPDIR"]);
            Assert.True(info.RedirectStandardInput && info.RedirectStandardOutput && info.RedirectStandardError);
        }
        finally
        {
            Environment.SetEnvironmentVariable(canary, null);
        }
    }

    [Fact]
    public void CreateStartInfo_NativeWorkerWithoutChain_RunsItDirectly()
    {
        var plan = new HardeningPlan([], null, HardeningExpectation.None, [], null, false, "test");

        var info = WorkerLauncher.CreateStartInfo("/opt/worker/worker", new PluginSupervisorOptions(), plan, NullLogger.Instance);

        Assert.Equal("/opt/worker/worker", info.FileName);
        Assert.Empty(info.ArgumentList);
        Assert.Equal("/opt/worker", info.WorkingDirectory);
    }

    [Fact]
    public void DefaultCandidates_BesideTheSupervisorFirst_ThenThePackagesFolder()
    {
        var baseDirectory = Path.Combine(Path.GetTempPath(), "app");

        var candidates = WorkerLauncher.DefaultCandidates(baseDirectory);

        Assert.Equal([Path.Combine(baseDirectory, WorkerLauncher.WorkerAssembly), Path.Combine(baseDirectory, WorkerLauncher.PackagedWorkerFolder, WorkerLauncher.WorkerAssembly)], candidates);
    }

    [Fact]
    public void Resolve_WithAMissingConfiguredPath_NamesIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-worker", WorkerLauncher.WorkerAssembly);

        var error = Assert.Throws<FileNotFoundException>(() => WorkerLauncher.Resolve(missing));

        Assert.Equal(missing, error.FileName);
    }

    [Fact]
    public void ResolveWire_Unset_PicksMessagePackForTheManagedWorkerAndJsonForTheNativeOne()
    {
        var folder = Directory.CreateTempSubdirectory("sochdb-launcher-");
        try
        {
            var managedHost = Path.Combine(folder.FullName, "SochDb.Isolated.Worker");
            File.WriteAllText(managedHost, string.Empty);
            File.WriteAllText(managedHost + ".dll", string.Empty);
            var nativeFolder = folder.CreateSubdirectory("native");
            var native = Path.Combine(nativeFolder.FullName, "SochDb.Isolated.Worker");
            File.WriteAllText(native, string.Empty);

            Assert.False(WorkerLauncher.IsNativeAot(managedHost + ".dll"));
            Assert.False(WorkerLauncher.IsNativeAot(managedHost));
            Assert.True(WorkerLauncher.IsNativeAot(native));
            Assert.Equal(WireFormat.MessagePackLengthPrefixed, WorkerLauncher.ResolveWire(null, managedHost + ".dll"));
            Assert.Equal(WireFormat.MessagePackLengthPrefixed, WorkerLauncher.ResolveWire(null, managedHost));
            Assert.Equal(WireFormat.JsonLengthPrefixed, WorkerLauncher.ResolveWire(null, native));
            Assert.Equal(WireFormat.JsonHeaders, WorkerLauncher.ResolveWire(WireFormat.JsonHeaders, native));
            Assert.Equal(WireFormat.JsonHeaders, WorkerLauncher.ResolveWire(WireFormat.JsonHeaders, managedHost));
            var error = Assert.Throws<ArgumentException>(() => WorkerLauncher.ResolveWire(WireFormat.MessagePackLengthPrefixed, native));
            Assert.Contains(native, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

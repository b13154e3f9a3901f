using System.Diagnostics;
using System.Runtime.Versioning;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Hardening;

/// <summary>
/// What a worker started by a real <see cref="PluginSupervisor"/> inherits and is allowed, read from outside through
/// <c>/proc</c>: the measures applied before the worker's runtime starts.
/// </summary>
[SupportedOSPlatform("linux")] // Every test skips elsewhere first.
public sealed class WorkerHardeningTests : SupervisorTestBase
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    private static readonly string[] Allowed =
    [
        "TMPDIR", Protocol.ProtocolConstants.WorkerMarkerVariable, "DOTNET_gcServer", "DOTNET_TieredPGO", "DOTNET_EnableDiagnostics",
        "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64", "DOTNET_ROOT_X86", "DOTNET_ROOT_ARM", "SOCHDB_TEST_SETTING",
    ];

    [SkippableFact]
    public async Task LoadAsync_SecretInSupervisorEnvironment_NeverReachesTheWorker()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads /proc");
        var canary = "SOCHDB_TEST_CANARY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(canary, "hunter2");
        try
        {
            var supervisor = CreateSupervisor(o => o.WorkerEnvironment["SOCHDB_TEST_SETTING"] = "on");
            var pid = await LoadAsync(supervisor);

            Dictionary<string, string> environment;
            try
            {
                environment = LinuxProcess.EnvironmentOf(pid);
            }
            catch (UnauthorizedAccessException)
            {
                throw new SkipException("a worker that is not dumpable keeps its environment from non-root readers");
            }

            Assert.DoesNotContain(canary, environment.Keys);
            Assert.DoesNotContain(environment.Values, v => v.Contains("hunter2", StringComparison.Ordinal));
            Assert.Subset(Allowed.ToHashSet(StringComparer.Ordinal), environment.Keys.ToHashSet(StringComparer.Ordinal));
            Assert.Equal("on", environment["SOCHDB_TEST_SETTING"]);
            Assert.Equal("1", environment[Protocol.ProtocolConstants.WorkerMarkerVariable]);
            Assert.Equal(Path.GetTempPath(), environment["TMPDIR"]);
            Assert.Equal("0", environment["DOTNET_EnableDiagnostics"]);
            await AssertServesCallsAsync(supervisor);
        }
        finally
        {
            Environment.SetEnvironmentVariable(canary, null);
        }
    }

    [SkippableFact]
    public async Task LoadAsync_DescriptorOpenedWithoutCloseOnExec_IsNotInherited()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "opens a descriptor through libc and reads /proc");
        var path = Path.Combine(Path.GetTempPath(), "sochdb-leak-canary-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(path, "supervisor-only");
        var fd = LinuxProcess.Open(path, LinuxProcess.O_RDONLY);
        Assert.True(fd >= 3, $"open failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        try
        {
            var supervisor = CreateSupervisor();
            var pid = await LoadAsync(supervisor);

            List<string> targets;
            try
            {
                targets = LinuxProcess.DescriptorTargets(pid);
            }
            catch (UnauthorizedAccessException)
            {
                throw new SkipException("a worker that is not dumpable keeps its descriptor table from non-root readers");
            }

            Assert.DoesNotContain(path, targets);
            Assert.Contains(LinuxProcess.DescriptorTargets(Environment.ProcessId), t => t == path);
        }
        finally
        {
            LinuxProcess.Close(fd);
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task LoadAsync_Linux_WorkerHasNoNewPrivsAndNoCapabilities()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux measures");
        var probe = WorkerHardening.Probe;
        Skip.IfNot(probe.NoNewPrivileges, "setpriv --no-new-privs is not available here");
        var supervisor = CreateSupervisor();
        var pid = await LoadAsync(supervisor);

        var status = LinuxProcess.Status(pid);
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.All(LinuxProcess.Threads(pid), tid => Assert.Equal("1", LinuxProcess.Status(pid, tid)["NoNewPrivs"]));
        if (probe.IsRoot && probe.DropCapabilities)
        {
            Assert.Equal("0000000000000000", status["CapEff"]);
            Assert.Equal("0000000000000000", status["CapPrm"]);
            Assert.Equal("0000000000000000", status["CapBnd"]);
        }

        Assert.Equal("0000000000000000", status["CapAmb"]);
        await AssertServesCallsAsync(supervisor);
    }

    [SkippableFact]
    public async Task LoadAsync_NetworkIsolationRequired_WorkerSeesOnlyLoopbackAndStillServesCalls()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "network namespaces are Linux-only");
        Skip.If(WorkerHardening.Probe.Network == NetworkNamespaceSupport.None, "this host allows no network namespace");
        var supervisor = CreateSupervisor(o => o.Hardening = new HardeningOptions { NetworkIsolation = HardeningRequirement.Required });
        var pid = await LoadAsync(supervisor);

        var workerNamespace = LinuxProcess.NetworkNamespace(pid);
        Assert.NotNull(workerNamespace);
        Assert.NotEqual(LinuxProcess.NetworkNamespace(Environment.ProcessId), workerNamespace);
        Assert.Equal(["lo"], LinuxProcess.Interfaces(pid));
        var nsenter = HardeningProbe.FindTool("nsenter");
        var ip = HardeningProbe.FindTool("ip");
        if (nsenter is not null && ip is not null && LinuxProcess.IsRoot)
        {
            var links = await RunAsync(nsenter, $"--net=/proc/{pid}/ns/net", ip, "-o", "link", "show");
            var link = Assert.Single(links.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(" lo: ", link, StringComparison.Ordinal);
            Assert.Contains("state DOWN", link, StringComparison.Ordinal);
        }

        await AssertServesCallsAsync(supervisor);
    }

    [SkippableFact]
    public async Task LoadAsync_UnusableWorkerUser_FailsTheStartNamingIt()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a worker user is Linux-only");
        var supervisor = CreateSupervisor(o => o.Hardening = new HardeningOptions { WorkerUser = "no-such-user-" + Environment.ProcessId });

        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.LoadAsync("test", Basic, Manifest())).DefaultTimeout();

        Assert.Contains("WorkerUser 'no-such-user-", ex.Message, StringComparison.Ordinal);
        Assert.Empty(supervisor.ListPlugins());
    }

    private static async Task<int> LoadAsync(PluginSupervisor supervisor)
    {
        var info = await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        return info.WorkerPid ?? throw new InvalidOperationException("no worker");
    }

    private static async Task AssertServesCallsAsync(PluginSupervisor supervisor)
    {
        var result = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(40), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(42, Assert.Single(result.Values).AsI32());
    }

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync().DefaultTimeout();
            Assert.True(process.ExitCode == 0, $"{program} failed: {await process.StandardError.ReadToEndAsync()}");
            return await output.DefaultTimeout();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().DefaultTimeout();
            }
        }
    }
}

using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Isolation;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Supervisor.Workers;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Hardening;

/// <summary>
/// The measures a worker applies to itself (limits, not dumpable, the user switch) and its report of them, on real
/// worker processes launched through the supervisor's launcher and plan, with the bootstrap carrying the plan's
/// request as the supervisor sends it.
/// </summary>
[SupportedOSPlatform("linux")] // Every test skips elsewhere first.
public sealed class WorkerSelfReportTests
{
    [SkippableFact]
    public async Task Handshake_DefaultHardening_ReportPassesTheCheckAndMatchesTheKernel()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux measures");
        var plan = WorkerHardening.GetPlan(new HardeningOptions(), NullLogger.Instance);
        var (worker, response) = await HardenedWorker.StartAsync(plan);
        await using (worker)
        {
            var report = response.Hardening;
            Assert.NotNull(report);
            Assert.Null(HandshakeValidator.ValidateHardening(report, plan.Expected));
            Assert.Empty(report.Problems!);
            Assert.Equal(256, report.OpenFilesSoftLimit);
            Assert.Equal(256, report.OpenFilesHardLimit);
            Assert.Equal(0, report.CoreSoftLimit);
            Assert.Equal(0, report.CoreHardLimit);
            Assert.False(report.Dumpable);
            Assert.True(report.CredentialsConsistent);
            Assert.Equal(("256", "256"), LinuxProcess.Limit(worker.Pid, "Max open files"));
            Assert.Equal(("0", "0"), LinuxProcess.Limit(worker.Pid, "Max core file size"));
            Assert.Equal(plan.Expected.NoNewPrivileges, report.NoNewPrivileges);
            Assert.Equal(plan.Expected.NetworkIsolated, report.NetworkNamespace != LinuxProcess.NetworkNamespace(Environment.ProcessId));
        }
    }

    [SkippableFact]
    public async Task Handshake_WorkerUserNobody_RunsAsNobodyOnEveryThreadAndServesCalls()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux measures");
        Skip.IfNot(LinuxProcess.IsRoot, "only root can switch a worker to another user");
        Skip.IfNot(LinuxProcess.ReadableByOthers(AppContext.BaseDirectory), "the worker's files are not readable by other users");
        var plan = WorkerHardening.GetPlan(new HardeningOptions { WorkerUser = "nobody" }, NullLogger.Instance);
        var uid = plan.Expected.UserId!.Value;
        var (worker, response) = await HardenedWorker.StartAsync(plan);
        await using (worker)
        {
            Assert.Null(HandshakeValidator.ValidateHardening(response.Hardening, plan.Expected));
            Assert.Equal(uid, response.Hardening!.UserId);
            foreach (var tid in LinuxProcess.Threads(worker.Pid))
            {
                var status = LinuxProcess.Status(worker.Pid, tid);
                Assert.Equal($"{uid}\t{uid}\t{uid}\t{uid}", status["Uid"]);
                Assert.Equal(string.Empty, status["Groups"]);
                Assert.Equal("0000000000000000", status["CapEff"]);
                Assert.Equal("0000000000000000", status["CapPrm"]);
            }

            // Everything loaded after the switch (Wasmtime, the module) is loaded as nobody.
            await AssertLoadsAndServesAsync(worker);
        }
    }

    [SkippableFact]
    public async Task Handshake_FewestOpenFilesAllowed_StillLoadsAndServesCalls()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux measures");
        var plan = WorkerHardening.GetPlan(new HardeningOptions { MaxOpenFiles = HardeningOptions.MinOpenFiles }, NullLogger.Instance);
        var (worker, response) = await HardenedWorker.StartAsync(plan);
        await using (worker)
        {
            Assert.Equal(HardeningOptions.MinOpenFiles, response.Hardening!.OpenFilesHardLimit);
            await AssertLoadsAndServesAsync(worker);
        }
    }

    [SkippableFact]
    public async Task Handshake_UserNamespaceChain_IsolatesTheNetworkAndDropsCapabilities()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux measures");
        var host = WorkerHardening.Probe;
        Skip.If(host.UnsharePath is null || host.SetprivPath is null, "util-linux unshare and setpriv are needed");
        Skip.IfNot(await WorksAsync(host.UnsharePath!, "--user", "--map-root-user", "--net", "--", HardeningProbe.FindTool("true")!), "this host has no unprivileged user namespaces");

        // The chain an unprivileged supervisor uses, forced here whatever this process's privileges.
        var probe = host with { IsRoot = false, Network = NetworkNamespaceSupport.UserNamespace, UserNamespaceDropCapabilities = true };
        var plan = HardeningPlanner.Plan(new HardeningOptions(), probe, null, null, WorkerHardening.ReadOwnNetworkNamespace());
        Assert.Equal("--user", plan.LaunchPrefix[1]);
        var (worker, response) = await HardenedWorker.StartAsync(plan);
        await using (worker)
        {
            var report = response.Hardening!;
            Assert.Null(HandshakeValidator.ValidateHardening(report, plan.Expected));
            Assert.Equal(["lo"], report.NetworkInterfaces!);
            Assert.Equal(0ul, report.EffectiveCapabilities);
            Assert.Equal(0ul, report.BoundingCapabilities);
            Assert.Equal(0u, report.UserId);
        }
    }

    [SkippableFact]
    public async Task Bootstrap_UserSwitchImpossible_WorkerRefusesToRunWithHardeningFailed()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux measures");
        var setpriv = WorkerHardening.Probe.SetprivPath;

        // As root, take the capability to switch users away first, so the switch fails as it would for anyone else.
        string[] prefix = LinuxProcess.IsRoot && setpriv is not null && WorkerHardening.Probe.DropCapabilities ? [setpriv, "--bounding-set", "-all", "--"] : [];
        Skip.If(LinuxProcess.IsRoot && prefix.Length == 0, "root without setpriv could switch");
        var plan = new HardeningPlan(prefix, null, HardeningExpectation.None, [], null, false, "test");
        var request = new WorkerHardeningRequest { UserId = 65534, GroupId = 65534, MaxOpenFiles = 256, DisableCoreDumps = true };
        await using var worker = await HardenedWorker.ConnectAsync(plan, request);

        await worker.Process.WaitForExitAsync().DefaultTimeout();
        Assert.Equal((int)WorkerExitCode.HardeningFailed, worker.Process.ExitCode);
        Assert.Contains("setgroups", worker.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void DescriptorSealer_BothWays_MarkADescriptorOpenedWithoutTheFlag()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux descriptors");
        var path = Path.Combine(Path.GetTempPath(), "sochdb-seal-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, "x");
        var first = LinuxProcess.Open(path, LinuxProcess.O_RDONLY);
        try
        {
            Assert.Null(DescriptorSealer.MarkEachCloseOnExec());
            Assert.True(DescriptorSealer.IsCloseOnExec(first));

            var second = LinuxProcess.Open(path, LinuxProcess.O_RDONLY);
            try
            {
                Assert.Null(DescriptorSealer.MarkAllCloseOnExec());
                Assert.True(DescriptorSealer.IsCloseOnExec(second));
            }
            finally
            {
                LinuxProcess.Close(second);
            }

            Assert.True(DescriptorSealer.IsCloseOnExec(0) is false, "stdin must stay inheritable");
        }
        finally
        {
            LinuxProcess.Close(first);
            File.Delete(path);
        }
    }

    private static async Task AssertLoadsAndServesAsync(HardenedWorker worker)
    {
        var module = new ModuleCompiler(new EngineSettings(), 4).Compile("hardened", Fixtures.Wasm("basic"));
        var loaded = await worker.Rpc!.InvokeAsync<LoadResponse>(WorkerMethods.Load, new LoadRequest
        {
            PluginId = "hardened",
            Artifact = module.Artifact,
            MemoryLimitBytes = 2 * 1024 * 1024,
            InitFuel = 1_000_000,
            InitTimeoutMs = 5_000,
        }).DefaultTimeout();
        Assert.Null(loaded.Error);
        var result = await worker.Rpc.InvokeAsync<InvokeResponse>(WorkerMethods.Invoke, new InvokeRequest
        {
            CallId = 1,
            Function = "add",
            Args = [new WireValue { Type = PluginValueType.I32, Bits = 40 }, new WireValue { Type = PluginValueType.I32, Bits = 2 }],
            Fuel = 1_000_000,
            TimeoutMs = 5_000,
        }).DefaultTimeout();
        Assert.Null(result.Error);
        Assert.Equal(42, Assert.Single(result.Results).Bits);
    }

    private static async Task<bool> WorksAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        try
        {
            await process.WaitForExitAsync().DefaultTimeout();
            return process.ExitCode == 0;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().DefaultTimeout();
            }
        }
    }
}

using System.Diagnostics;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>The original runtime's tests, ported to real modules in real worker processes, and the failure modes it only claimed to handle.</summary>
public sealed class PluginSupervisorTests : SupervisorTestBase
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    [Fact]
    public async Task LoadAsync_ValidModule_ListsPluginWithLiveWorker()
    {
        var supervisor = CreateSupervisor();
        var info = await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var listed = Assert.Single(supervisor.ListPlugins());
        Assert.Equal("test", listed.Id);
        Assert.Equal("test-plugin", listed.Name);
        Assert.Equal(1, listed.Generation);
        Assert.Equal(PluginState.Ready, listed.State);
        Assert.NotNull(info.WorkerPid);
        Assert.NotEqual(Environment.ProcessId, info.WorkerPid);
        using var worker = Process.GetProcessById(info.WorkerPid!.Value);
        Assert.False(worker.HasExited);
    }

    [Fact]
    public async Task LoadAsync_NotWasm_ThrowsInvalidWasmWithReason()
    {
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.LoadAsync("test", "not wasm"u8.ToArray(), Manifest())).DefaultTimeout();
        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("magic", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(supervisor.ListPlugins());
    }

    [Fact]
    public async Task LoadAsync_ImportOutsideAbi_ThrowsInvalidWasmNamingImport()
    {
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.LoadAsync("test", Fixtures.Wasm("bad_import"), Manifest())).DefaultTimeout();
        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("env.system", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_ManifestNamesMissingExport_ThrowsInvalidManifest()
    {
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<InvalidManifestException>(() => supervisor.LoadAsync("test", Basic, Manifest("[exports]\nfunctions = [\"add\", \"rerank\"]"))).DefaultTimeout();
        Assert.Contains("rerank", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_InitialMemoryOverLimit_ThrowsMemoryLimitExceeded()
    {
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<MemoryLimitExceededException>(() => supervisor.LoadAsync("test", Fixtures.Wasm("big_memory"), Manifest())).DefaultTimeout();
        Assert.Equal(300L * 65536, ex.UsedBytes);
        Assert.Equal(2L * 1024 * 1024, ex.LimitBytes);
        Assert.Equal(1, supervisor.GetRuntimeStats().MemoryViolations);
    }

    [Fact]
    public async Task LoadAsync_InitFails_ThrowsAndLoadsNothing()
    {
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<PluginTrapException>(() => supervisor.LoadAsync("test", Fixtures.Wasm("init_fails"), Manifest())).DefaultTimeout();
        Assert.Contains("soch_init", ex.Message, StringComparison.Ordinal);
        Assert.Empty(supervisor.ListPlugins());
    }

    [Fact]
    public async Task LoadAsync_DuplicateId_ThrowsPluginAlreadyLoaded()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.LoadAsync("test", Basic, Manifest())).DefaultTimeout();
        Assert.Equal(ErrorKind.PluginAlreadyLoaded, ex.Kind);
        Assert.Equal(1, supervisor.GetRuntimeStats().SandboxesCreated);
    }

    [Fact]
    public async Task LoadAsync_PastMaxSandboxes_ThrowsTooManySandboxes()
    {
        var supervisor = CreateSupervisor(o => o.MaxSandboxes = 2);
        await supervisor.LoadAsync("p1", Basic, Manifest()).DefaultTimeout();
        await supervisor.LoadAsync("p2", Basic, Manifest()).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<TooManySandboxesException>(() => supervisor.LoadAsync("p3", Basic, Manifest())).DefaultTimeout();
        Assert.Equal(2, ex.Max);
        Assert.Equal(1, supervisor.GetRuntimeStats().ModuleCacheMisses);
        Assert.Equal(1, supervisor.GetRuntimeStats().ModuleCacheHits);
    }

    [Fact]
    public async Task UnloadAsync_LoadedPlugin_StopsWorkerAndForgetsIt()
    {
        var supervisor = CreateSupervisor();
        var info = await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        using var worker = Process.GetProcessById(info.WorkerPid!.Value);
        await supervisor.UnloadAsync("test").DefaultTimeout();
        Assert.Empty(supervisor.ListPlugins());
        await worker.WaitForExitAsync().DefaultTimeout();
        Assert.True(worker.HasExited);
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(2)])).DefaultTimeout();
        Assert.Equal(ErrorKind.PluginNotFound, ex.Kind);
    }

    [Fact]
    public async Task InvokeAsync_Add_ReturnsRealResultAndReceipt()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var result = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(40), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(42, Assert.Single(result.Values).AsI32());
        Assert.True(result.Receipt.FuelConsumed > 0);
        Assert.Equal(65536, result.Receipt.PeakMemoryBytes);
        Assert.Equal(1, result.Receipt.Generation);
    }

    [Fact]
    public async Task InvokeAsync_MissingPlugin_ThrowsPluginNotFound()
    {
        var supervisor = CreateSupervisor();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("nonexistent", "fn")).DefaultTimeout();
        Assert.Equal(ErrorKind.PluginNotFound, ex.Kind);
    }

    [Fact]
    public async Task InvokeAsync_MissingFunctionOrBadArguments_ThrowsTypedErrors()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var missing = await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("test", "nope")).DefaultTimeout();
        Assert.Equal(ErrorKind.FunctionNotFound, missing.Kind);
        var bad = await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.F64(1)])).DefaultTimeout();
        Assert.Equal(ErrorKind.InvalidArguments, bad.Kind);
    }

    [Fact]
    public async Task InvokeAsync_BytesAndStringSignatures_RoundTrip()
    {
        var supervisor = CreateSupervisor();
        var manifest = Manifest("""
            [exports]
            functions = ["echo", "upper"]
            [exports.signatures.echo]
            params = ["bytes"]
            returns = ["bytes"]
            [exports.signatures.upper]
            params = ["string"]
            returns = ["string"]
            """);
        await supervisor.LoadAsync("test", Basic, manifest).DefaultTimeout();
        var payload = Enumerable.Range(0, 65536).Select(i => (byte)(i * 7)).ToArray();
        var echo = await supervisor.InvokeAsync("test", "echo", [PluginValue.Bytes(payload)]).DefaultTimeout();
        Assert.Equal(payload, echo.Values[0].AsBytes()!.Value.ToArray());
        var upper = await supervisor.InvokeAsync("test", "upper", [PluginValue.String("mask me")]).DefaultTimeout();
        Assert.Equal("MASK ME", upper.Values[0].AsString());
    }

    [Fact]
    public async Task InvokeAsync_InfiniteLoop_TimesOutAndPluginStillAnswers()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources)).DefaultTimeout();
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<PluginTimeoutException>(() => supervisor.InvokeAsync("test", "spin")).DefaultTimeout();
        Assert.False(ex.WorkerKilled);
        Assert.InRange(ex.Elapsed.TotalMilliseconds, 190, 5000);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        var next = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, next.Values[0].AsI32());
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal(1, stats.Timeouts);
        Assert.Equal(1, supervisor.GetRuntimeStats().Timeouts);
    }

    [Fact]
    public async Task InvokeAsync_FuelBurner_ThrowsFuelExhausted()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<FuelExhaustedException>(() => supervisor.InvokeAsync("test", "burn", [PluginValue.I32(int.MaxValue)])).DefaultTimeout();
        Assert.Equal(10_000_000, ex.Consumed);
        Assert.Equal(1, supervisor.GetRuntimeStats().FuelExhaustions);
    }

    [Fact]
    public async Task InvokeAsync_MemoryBomb_ThrowsMemoryLimitExceeded()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<MemoryLimitExceededException>(() => supervisor.InvokeAsync("test", "bomb")).DefaultTimeout();
        Assert.Equal(2L * 1024 * 1024, ex.LimitBytes);
        Assert.Equal(1, supervisor.GetPluginStats("test").MemoryViolations);
        Assert.Equal(2L * 1024 * 1024, supervisor.GetPluginStats("test").PeakMemoryBytes);
    }

    [Fact]
    public async Task InvokeAsync_DeepRecursion_ThrowsStackOverflowTrap()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<PluginTrapException>(() => supervisor.InvokeAsync("test", "recurse", [PluginValue.I32(0)])).DefaultTimeout();
        Assert.Equal("StackOverflow", ex.TrapCode);
        Assert.Equal(1, supervisor.GetPluginStats("test").Traps);
        Assert.Equal(1, supervisor.GetRuntimeStats().Traps);
    }

    [Fact]
    public async Task InvokeAsync_WorkerKilledMidCall_ThrowsWorkerCrashedAndOthersKeepServing()
    {
        var supervisor = CreateSupervisor(o => o.CallGrace = TimeSpan.FromSeconds(20));
        var victim = await supervisor.LoadAsync("victim", Basic, Manifest(name: "victim", resources: "timeout_ms = 20000\nfuel_limit = 1_000_000_000_000")).DefaultTimeout();
        await supervisor.LoadAsync("bystander", Basic, Manifest()).DefaultTimeout();
        var call = supervisor.InvokeAsync("victim", "spin");
        await Task.Delay(300);
        using (var worker = Process.GetProcessById(victim.WorkerPid!.Value))
        {
            worker.Kill();
        }

        var ex = await Assert.ThrowsAsync<WorkerCrashedException>(() => call).DefaultTimeout();
        Assert.Equal(137, ex.ExitCode);
        var other = await supervisor.InvokeAsync("bystander", "add", [PluginValue.I32(2), PluginValue.I32(3)]).DefaultTimeout();
        Assert.Equal(5, other.Values[0].AsI32());

        // The dead worker is replaced on the next call.
        var again = await supervisor.InvokeAsync("victim", "add", [PluginValue.I32(2), PluginValue.I32(2)]).DefaultTimeout();
        Assert.Equal(4, again.Values[0].AsI32());
        var stats = supervisor.GetPluginStats("victim");
        Assert.Equal(1, stats.WorkerCrashes);
        Assert.Equal(1, stats.WorkerRestarts);
        Assert.Equal(1, supervisor.GetRuntimeStats().WorkerCrashes);
        Assert.NotEqual(victim.WorkerPid, supervisor.ListPlugins().Single(p => p.Id == "victim").WorkerPid);
    }

    [Fact]
    public async Task InvokeAsync_ConcurrentCalls_WaitTheirTurnAndAllSucceed()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var calls = Enumerable.Range(0, 50).Select(i => supervisor.InvokeAsync("test", "add", [PluginValue.I32(i), PluginValue.I32(1)])).ToArray();
        var results = await Task.WhenAll(calls).DefaultTimeout();
        Assert.Equal(Enumerable.Range(1, 50), results.Select(r => r.Values[0].AsI32()!.Value));
        Assert.Equal(50, supervisor.GetPluginStats("test").SuccessfulCalls);
    }

    [Fact]
    public async Task InvokeAsync_QueueFull_ThrowsOverloaded()
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.MaxQueuedCalls = 1;
            o.MaxInstancesPerPlugin = 1;
        });
        await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources)).DefaultTimeout();
        var running = supervisor.InvokeAsync("test", "spin");
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsInFlight == 1, "the spin holding the only instance");
        var queued = supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]);
        var ex = await Assert.ThrowsAsync<OverloadedException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();
        Assert.Equal(1, ex.Queued);
        var busy = supervisor.GetPluginStats("test");
        Assert.Equal(1, busy.MaxInstances);
        if (!running.IsCompleted)
        {
            // Read while the spinning call still held the only instance (a slow machine may have ended it already).
            Assert.Equal((1, 1), (busy.CallsInFlight, busy.CallsQueued));
        }
        await Assert.ThrowsAsync<PluginTimeoutException>(() => running).DefaultTimeout();
        Assert.Equal(2, (await queued.DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(1, supervisor.GetRuntimeStats().Overloads);
    }

    [Fact]
    public async Task InvokeAsync_WaitsPastQueueTimeout_ThrowsOverloadedWithRetryHint()
    {
        var supervisor = CreateSupervisor(o =>
        {
            o.MaxInstancesPerPlugin = 1;
            o.QueueTimeout = TimeSpan.FromMilliseconds(100);
        });
        await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources)).DefaultTimeout();
        var running = supervisor.InvokeAsync("test", "spin");
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsInFlight == 1, "the spin holding the only instance");

        var ex = await Assert.ThrowsAsync<OverloadedException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();

        Assert.Contains("QueueTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(200), ex.RetryAfter);
        await Assert.ThrowsAsync<PluginTimeoutException>(() => running).DefaultTimeout();
        Assert.Equal(2, (await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout()).Values[0].AsI32());
        Assert.Equal(1, supervisor.GetRuntimeStats().Overloads);
    }

    [Fact]
    public async Task UnloadAsync_WithACallWaiting_FailsItWithSandboxTerminated()
    {
        var supervisor = CreateSupervisor(o => o.MaxInstancesPerPlugin = 1);
        await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources)).DefaultTimeout();
        var running = supervisor.InvokeAsync("test", "spin");
        await Eventually.WaitForAsync(() => supervisor.GetPluginStats("test").CallsInFlight == 1, "the spin holding the only instance");
        var waiting = supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]);
        var unload = supervisor.UnloadAsync("test");
        await Assert.ThrowsAsync<PluginTimeoutException>(() => running).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<PluginException>(() => waiting).DefaultTimeout();
        Assert.Equal(ErrorKind.SandboxTerminated, ex.Kind);
        await unload.DefaultTimeout();
        Assert.Empty(supervisor.ListPlugins());
    }

    [Fact]
    public async Task GetRuntimeStats_AfterTwoInvokes_CountsCreatedActiveInvocationsAndFuel()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var a = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(2)]).DefaultTimeout();
        var b = await supervisor.InvokeAsync("test", "count").DefaultTimeout();
        var stats = supervisor.GetRuntimeStats();
        Assert.Equal(1, stats.SandboxesCreated);
        Assert.Equal(1, stats.ActiveSandboxes);
        Assert.Equal(2, stats.TotalInvocations);
        Assert.Equal(a.Receipt.FuelConsumed + b.Receipt.FuelConsumed, stats.TotalFuelConsumed);
        Assert.Equal(1, stats.WorkersStarted);
    }

    [Fact]
    public async Task GetPluginStats_AfterCalls_CountsSuccessFailureFuelTimeAndHostCalls()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "timeout_ms = 10000\nfuel_limit = 10_000_000")).DefaultTimeout();
        var ok = await supervisor.InvokeAsync("test", "log_hello").DefaultTimeout();
        await Assert.ThrowsAsync<PluginTrapException>(() => supervisor.InvokeAsync("test", "crash")).DefaultTimeout();
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal(2, stats.TotalCalls);
        Assert.Equal(1, stats.SuccessfulCalls);
        Assert.Equal(1, stats.FailedCalls);
        Assert.Equal(1, stats.HostCalls);
        Assert.Equal(1, ok.Receipt.HostCalls);
        Assert.True(stats.FuelConsumed >= ok.Receipt.FuelConsumed);
        Assert.True(stats.TotalExecutionTime > TimeSpan.Zero);
        Assert.Equal(1_000_000_000 - stats.FuelConsumed, stats.FuelRemaining);
    }

    [Fact]
    public async Task InvokeAsync_GuestLogs_AreRelogged()
    {
        var supervisor = CreateSupervisor();
        var info = await supervisor.LoadAsync("logger", Basic, Manifest(resources: "timeout_ms = 10000")).DefaultTimeout();
        await supervisor.InvokeAsync("logger", "log_hello").DefaultTimeout();
        await supervisor.UnloadAsync("logger").DefaultTimeout();
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 1012 && e.Message == "[logger] hello from wasm");
        Assert.NotNull(info.WorkerPid);
    }

    [Fact]
    public async Task HotReloadAsync_NewModule_ServesNewGenerationAndResetsStats()
    {
        var supervisor = CreateSupervisor();
        var first = await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        var reloaded = await supervisor.HotReloadAsync("test", Fixtures.Wasm("other"), Manifest(name: "test-plugin-v2")).DefaultTimeout();
        Assert.Equal(2, reloaded.Generation);
        Assert.Equal("test-plugin-v2", reloaded.Name);
        Assert.NotEqual(first.WorkerPid, reloaded.WorkerPid);
        Assert.Equal(0, supervisor.GetPluginStats("test").TotalCalls);
        var result = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(1002, result.Values[0].AsI32());
        Assert.Equal(2, result.Receipt.Generation);
        Assert.Equal(2, supervisor.GetRuntimeStats().SandboxesCreated);
    }

    [Fact]
    public async Task HotReloadAsync_BrokenModule_KeepsOldGenerationServing()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<ReloadFailedException>(() => supervisor.HotReloadAsync("test", Fixtures.Wasm("init_fails"), Manifest())).DefaultTimeout();
        Assert.IsType<PluginTrapException>(ex.InnerException);
        Assert.Equal(ErrorKind.Trap, ex.Kind);
        Assert.Equal((2, 1), (ex.RejectedGeneration, ex.ServingGeneration));
        var result = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, result.Values[0].AsI32());
        Assert.Equal(1, result.Receipt.Generation);
    }

    [Fact]
    public async Task ResetFuel_AfterBudgetSpent_CallsSucceedAgain()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest(resources: DefaultResources + "\nfuel_budget = 50_000")).DefaultTimeout();
        var spent = 0L;
        FuelExhaustedException? exhausted = null;
        for (var i = 0; i < 100 && exhausted is null; i++)
        {
            try
            {
                spent += (await supervisor.InvokeAsync("test", "burn", [PluginValue.I32(1000)]).DefaultTimeout()).Receipt.FuelConsumed;
            }
            catch (FuelExhaustedException ex)
            {
                exhausted = ex;
            }
        }

        Assert.NotNull(exhausted);
        Assert.Equal(0, supervisor.GetPluginStats("test").FuelRemaining);
        var empty = await Assert.ThrowsAsync<FuelExhaustedException>(() => supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)])).DefaultTimeout();
        Assert.Equal(0, empty.Consumed);
        supervisor.ResetFuel("test");
        Assert.Equal(50_000, supervisor.GetPluginStats("test").FuelRemaining);
        var ok = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, ok.Values[0].AsI32());
    }

    [Fact]
    public async Task ShutdownAsync_WithPlugins_StopsWorkersAndRefusesLoads()
    {
        var supervisor = CreateSupervisor();
        var info = await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        using var worker = Process.GetProcessById(info.WorkerPid!.Value);
        await supervisor.ShutdownAsync().DefaultTimeout();
        Assert.Empty(supervisor.ListPlugins());
        await worker.WaitForExitAsync().DefaultTimeout();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.LoadAsync("new", Basic, Manifest())).DefaultTimeout();
        Assert.Equal(ErrorKind.RuntimeShutdown, ex.Kind);
    }

    [SkippableTheory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    [InlineData(WireFormat.JsonHeaders)]
    public async Task InvokeAsync_EveryWireFormat_CarriesEveryValueType(WireFormat format)
    {
        Skip.If(
            format is WireFormat.MessagePackLengthPrefixed && Environment.GetEnvironmentVariable("SOCHDB_TEST_WORKER") is { Length: > 0 } worker && SochDb.Isolated.Supervisor.Workers.WorkerLauncher.IsNativeAot(worker),
            "SOCHDB_TEST_WORKER is the Native AOT worker, which speaks only JSON (NativeWorkerTests checks that it refuses MessagePack)");
        var supervisor = CreateSupervisor(o => o.WireFormat = format);
        await supervisor.LoadAsync("test", Basic, Manifest("[exports]\nfunctions = [\"echo\"]\n[exports.signatures.echo]\nparams = [\"bytes\"]\nreturns = [\"bytes\"]")).DefaultTimeout();
        Assert.Equal(long.MinValue + 5, (await supervisor.InvokeAsync("test", "add64", [PluginValue.I64(long.MinValue), PluginValue.I64(5)])).Values[0].AsI64());
        Assert.Equal(-0.75f, (await supervisor.InvokeAsync("test", "mulf32", [PluginValue.F32(0.5f), PluginValue.F32(-1.5f)])).Values[0].AsF32());
        Assert.Equal(double.PositiveInfinity, (await supervisor.InvokeAsync("test", "mulf64", [PluginValue.F64(double.MaxValue), PluginValue.F64(10)])).Values[0].AsF64());
        var bytes = Encoding.UTF8.GetBytes("binary\0payload");
        Assert.Equal(bytes, (await supervisor.InvokeAsync("test", "echo", [PluginValue.Bytes(bytes)])).Values[0].AsBytes()!.Value.ToArray());
    }

    [Fact]
    public async Task LoadFromManifestAsync_ManifestWithWatModule_LoadsRelativeToManifest()
    {
        var dir = Directory.CreateTempSubdirectory("sochdb-test-");
        try
        {
            File.Copy(Fixtures.WatPath("basic"), Path.Combine(dir.FullName, "plugin.wat"));
            var manifestPath = Path.Combine(dir.FullName, "plugin.toml");
            await File.WriteAllTextAsync(manifestPath, "[plugin]\nname = \"from-file\"\nversion = \"0.1.0\"\nwasm = \"plugin.wat\"\n");
            var supervisor = CreateSupervisor();
            var info = await supervisor.LoadFromManifestAsync("file", manifestPath).DefaultTimeout();
            Assert.Equal("from-file", info.Name);
            Assert.Equal(3, (await supervisor.InvokeAsync("file", "add", [PluginValue.I32(1), PluginValue.I32(2)])).Values[0].AsI32());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task LoadFromManifestAsync_UnknownKey_ThrowsWithLineAndColumn()
    {
        var dir = Directory.CreateTempSubdirectory("sochdb-test-");
        try
        {
            var manifestPath = Path.Combine(dir.FullName, "plugin.toml");
            await File.WriteAllTextAsync(manifestPath, "[plugin]\nname = \"x\"\nversion = \"1\"\n\n[capabilities]\ncan_raed_table = [\"users\"]\n");
            var supervisor = CreateSupervisor();
            var ex = await Assert.ThrowsAsync<InvalidManifestException>(() => supervisor.LoadFromManifestAsync("x", manifestPath)).DefaultTimeout();
            var diagnostic = Assert.Single(ex.Diagnostics);
            Assert.Equal(6, diagnostic.Line);
            Assert.Equal(1, diagnostic.Column);
            Assert.Contains("can_raed_table", diagnostic.Message, StringComparison.Ordinal);
            Assert.Equal(manifestPath, diagnostic.File);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary><c>InvokeBatchAsync</c>: one export over many rows in one round trip, each row metered and failing like a call.</summary>
public sealed class BatchInvokeTests : SupervisorTestBase
{
    private static readonly byte[] Basic = Fixtures.Wasm("basic");

    [Fact]
    public async Task InvokeBatch_AThousandAdds_AllRightAndCountedAsCalls()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var rows = Enumerable.Range(0, 1000).Select(i => (IReadOnlyList<PluginValue>)[PluginValue.I32(i), PluginValue.I32(i * 2)]).ToArray();

        var batch = await supervisor.InvokeBatchAsync("test", "add", rows).DefaultTimeout();

        Assert.Equal(1000, batch.Rows.Count);
        Assert.Equal(1000, batch.Succeeded);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(i * 3, batch.Rows[i].Values[0].AsI32());
        }

        var stats = supervisor.GetPluginStats("test");
        Assert.Equal(1000, stats.TotalCalls);
        Assert.Equal(1000, stats.SuccessfulCalls);
        Assert.Equal(0, stats.FailedCalls);
        Assert.Equal(batch.FuelConsumed, stats.FuelConsumed);
        Assert.Equal(batch.Rows.Sum(r => r.Receipt.FuelConsumed), batch.FuelConsumed);
        Assert.Equal(1000, supervisor.GetRuntimeStats().TotalInvocations);
    }

    [Fact]
    public async Task InvokeBatch_ATrappingRow_FailsAloneAndTheOthersSucceed()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        IReadOnlyList<PluginValue>[] rows = [[PluginValue.I32(10), PluginValue.I32(2)], [PluginValue.I32(1), PluginValue.I32(0)], [PluginValue.I32(9), PluginValue.I32(3)]];

        var batch = await supervisor.InvokeBatchAsync("test", "divide", rows).DefaultTimeout();

        Assert.Equal(5, batch.Rows[0].Values[0].AsI32());
        var trap = Assert.IsType<PluginTrapException>(batch.Rows[1].Error);
        Assert.Equal(ErrorKind.Trap, trap.Kind);
        Assert.Empty(batch.Rows[1].Values);
        Assert.Equal(3, batch.Rows[2].Values[0].AsI32());
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal((3L, 2L, 1L, 1L), (stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls, stats.Traps));

        // The worker survived: a single call after the batch works.
        var after = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, after.Values[0].AsI32());
    }

    [Fact]
    public async Task InvokeBatch_ARowOverThePerCallFuelLimit_IsExhaustedAlone()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest(resources: "memory_limit_mb = 2\ntimeout_ms = 200\nfuel_limit = 10_000")).DefaultTimeout();
        IReadOnlyList<PluginValue>[] rows = [[PluginValue.I32(1)], [PluginValue.I32(1_000_000)], [PluginValue.I32(2)]];

        var batch = await supervisor.InvokeBatchAsync("test", "burn", rows).DefaultTimeout();

        Assert.Equal(7, batch.Rows[0].Values[0].AsI32());
        Assert.IsType<FuelExhaustedException>(batch.Rows[1].Error);
        Assert.Equal(7, batch.Rows[2].Values[0].AsI32());
        Assert.Equal(1, supervisor.GetPluginStats("test").FuelExhaustions);
    }

    [Fact]
    public async Task InvokeBatch_LifetimeBudgetSpentMidBatch_LaterRowsFailWithoutRunning()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("test", Basic, Manifest(resources: DefaultResources + "\nfuel_budget = 50_000")).DefaultTimeout();
        var rows = Enumerable.Range(0, 100).Select(_ => (IReadOnlyList<PluginValue>)[PluginValue.I32(1000)]).ToArray();

        var batch = await supervisor.InvokeBatchAsync("test", "burn", rows).DefaultTimeout();

        Assert.True(batch.Succeeded is > 0 and < 100, $"{batch.Succeeded} rows succeeded");
        var firstFailure = batch.Rows.ToList().FindIndex(r => !r.Succeeded);
        Assert.All(batch.Rows.Skip(firstFailure), r => Assert.IsType<FuelExhaustedException>(r.Error));
        Assert.All(batch.Rows.Skip(firstFailure + 1), r => Assert.Equal(0, r.Receipt.FuelConsumed));
        var stats = supervisor.GetPluginStats("test");
        Assert.Equal(0, stats.FuelRemaining);
        Assert.Equal(100, stats.TotalCalls);
        Assert.Equal(100 - batch.Succeeded, stats.FailedCalls);
    }

    [Fact]
    public async Task InvokeBatch_TooManyRows_FailsWithInvalidArgumentsWithoutRunning()
    {
        var supervisor = CreateSupervisor(o => o.MaxBatchRows = 10);
        await supervisor.LoadAsync("test", Basic, Manifest()).DefaultTimeout();
        var rows = Enumerable.Range(0, 11).Select(i => (IReadOnlyList<PluginValue>)[PluginValue.I32(i), PluginValue.I32(i)]).ToArray();

        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.InvokeBatchAsync("test", "add", rows)).DefaultTimeout();

        Assert.Equal(ErrorKind.InvalidArguments, ex.Kind);
        Assert.Equal(0, supervisor.GetPluginStats("test").TotalCalls);
    }

    [Fact]
    public async Task InvokeBatch_SpinningRows_EachTimesOutWithinTheBatchBudget()
    {
        var supervisor = CreateSupervisor(o => o.MaxBatchDuration = TimeSpan.FromMilliseconds(500));
        await supervisor.LoadAsync("test", Basic, Manifest(resources: SpinResources)).DefaultTimeout();
        var rows = Enumerable.Range(0, 10).Select(_ => (IReadOnlyList<PluginValue>)[]).ToArray();

        var batch = await supervisor.InvokeBatchAsync("test", "spin", rows).DefaultTimeout();

        // 200 ms per row, 500 ms for the batch: the worker answers before the supervisor's deadline, so it is not killed.
        Assert.All(batch.Rows, r => Assert.IsType<PluginTimeoutException>(r.Error));
        Assert.Equal(0, batch.Rows[^1].Receipt.FuelConsumed);
        Assert.True(batch.RoundTrip < TimeSpan.FromSeconds(3), $"the batch took {batch.RoundTrip}");
        Assert.Equal(0, supervisor.GetPluginStats("test").WorkerCrashes);
        var after = await supervisor.InvokeAsync("test", "add", [PluginValue.I32(1), PluginValue.I32(1)]).DefaultTimeout();
        Assert.Equal(2, after.Values[0].AsI32());
    }

    [Fact]
    public async Task InvokeBatch_StringRows_TravelValueByValueAndComeBackAsStrings()
    {
        var supervisor = CreateSupervisor();
        var manifest = Manifest("""
            [exports]
            functions = ["upper", "add64"]
            [exports.signatures.upper]
            params = ["string"]
            returns = ["string"]
            """);
        await supervisor.LoadAsync("test", Basic, manifest).DefaultTimeout();
        IReadOnlyList<PluginValue>[] rows = [[PluginValue.String("abc")], [PluginValue.String("x y")], [PluginValue.I32(1)]];

        var batch = await supervisor.InvokeBatchAsync("test", "upper", rows).DefaultTimeout();

        Assert.Equal("ABC", batch.Rows[0].Values[0].AsString());
        Assert.Equal("X Y", batch.Rows[1].Values[0].AsString());
        Assert.Equal(ErrorKind.InvalidArguments, Assert.IsAssignableFrom<PluginException>(batch.Rows[2].Error).Kind);

        // Numbers of a 64-bit export, packed, at the edges of their range.
        IReadOnlyList<PluginValue>[] numbers = [[PluginValue.I64(long.MaxValue), PluginValue.I64(1)], [PluginValue.I64(-2), PluginValue.I64(-3)]];
        var sums = await supervisor.InvokeBatchAsync("test", "add64", numbers).DefaultTimeout();
        Assert.Equal([long.MinValue, -5L], sums.Rows.Select(r => r.Values[0].AsI64()!.Value));
        Assert.All(sums.Rows, r => Assert.True(r.Receipt.FuelConsumed > 0));
    }
}

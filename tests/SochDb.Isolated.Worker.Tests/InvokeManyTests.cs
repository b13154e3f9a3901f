using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Worker.Tests;

/// <summary><c>worker.invokeMany</c>: coalesced calls run one after another in one instance, each a call of its own.</summary>
public sealed class InvokeManyTests
{
    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    public async Task InvokeMany_CallsRunInOrder_ATrapFailsOnlyItsCallAndTheNextRunsInAFreshInstance(WireFormat format)
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(format);
        using (client)
        using (service)
        {
            var request = new InvokeManyRequest
            {
                Calls =
                [
                    Call(1, "count"),
                    Call(2, "count"),
                    Call(3, "divide", PluginInstanceTests.I32(1), PluginInstanceTests.I32(0)),
                    Call(4, "count"),
                    Call(5, "add", PluginInstanceTests.I32(40), PluginInstanceTests.I32(2)),
                ],
                FuelBudget = long.MaxValue,
            };

            var answer = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, request).DefaultTimeout();

            Assert.Equal(5, answer.Results.Length);
            Assert.Equal([1L, 2], answer.Results[..2].Select(r => r.Results[0].Bits));
            Assert.Equal(ErrorKind.Trap, answer.Results[2].Error!.Kind);
            Assert.True(answer.Results[2].Reinstantiated);
            Assert.Equal(1, answer.Results[3].Results[0].Bits);
            Assert.True(answer.Results[3].Reinstantiated);
            Assert.Equal(42, answer.Results[4].Results[0].Bits);
            Assert.All(answer.Results.Where(r => r.Error is null), r => Assert.True(r.FuelConsumed > 0));
        }
    }

    [Fact]
    public async Task InvokeMany_TheCallsBeforeACallRanPastItsTimeout_ItAndTheRestAreHandedBackUnstarted()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            // A quick call, then one that spins to its 150 ms deadline: the next (100 ms) could no longer end within the
            // message's deadline if started now, so it and the one after it go back without running.
            var quick = Call(1, "count");
            quick.TimeoutMs = 100;
            var spin = Call(2, "spin");
            spin.TimeoutMs = 150;
            spin.Fuel = long.MaxValue / 4;
            var behind = Call(3, "count");
            behind.TimeoutMs = 100;
            var longer = Call(4, "count");
            longer.TimeoutMs = 10_000;

            var answer = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, new InvokeManyRequest { Calls = [quick, spin, behind, longer], FuelBudget = long.MaxValue }).DefaultTimeout();

            Assert.Equal(2, answer.Results.Length);
            Assert.Equal(2, answer.NotStarted);
            Assert.Null(answer.Results[0].Error);
            Assert.Equal(ErrorKind.Timeout, answer.Results[1].Error!.Kind);
            Assert.True(answer.Results[1].DurationUs >= 100_000, $"the spin ran {answer.Results[1].DurationUs} us");

            // Sent again (as the supervisor does), they run: one after the other in one instance.
            var again = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, new InvokeManyRequest { Calls = [behind, longer], FuelBudget = long.MaxValue }).DefaultTimeout();
            Assert.Equal(0, again.NotStarted);
            Assert.All(again.Results, r => Assert.Null(r.Error));
            Assert.Equal(again.Results[0].Results[0].Bits + 1, again.Results[1].Results[0].Bits);
        }
    }

    [Fact]
    public async Task InvokeMany_AFirstCallWithAnyTimeout_AlwaysRunsWithItsWholeTimeout()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var spin = Call(1, "spin");
            spin.TimeoutMs = 120;
            spin.Fuel = long.MaxValue / 4;

            var answer = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, new InvokeManyRequest { Calls = [spin], FuelBudget = long.MaxValue }).DefaultTimeout();

            Assert.Equal(0, answer.NotStarted);
            Assert.Equal(ErrorKind.Timeout, answer.Results[0].Error!.Kind);
            Assert.True(answer.Results[0].DurationUs >= 100_000, $"the spin ran {answer.Results[0].DurationUs} us of its 120 ms");
        }
    }

    [Fact]
    public async Task InvokeMany_TheSharedFuelBudgetSpent_LaterCallsFailWithoutRunning()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var request = new InvokeManyRequest
            {
                Calls = [Call(1, "burn", PluginInstanceTests.I32(1_000_000)), Call(2, "burn", PluginInstanceTests.I32(1))],
                FuelBudget = 10_000,
            };

            var answer = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, request).DefaultTimeout();

            Assert.Equal(ErrorKind.FuelExhausted, answer.Results[0].Error!.Kind);
            Assert.Equal(10_000, answer.Results[0].FuelConsumed);
            Assert.Equal(ErrorKind.FuelExhausted, answer.Results[1].Error!.Kind);
            Assert.Equal(0, answer.Results[1].FuelConsumed);
        }
    }

    [Fact]
    public async Task InvokeMany_ACallThatBreaksTheBufferContract_FailsAloneAndTheOthersAnswer()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(
            WireFormat.MessagePackLengthPrefixed,
            "bad_alloc",
            PluginInstanceTests.Sig("len", [PluginValueType.Bytes], [PluginValueType.I32]));
        using (client)
        using (service)
        {
            var bytes = new WireValue { Type = PluginValueType.Bytes, Bytes = [1, 2, 3] };
            var request = new InvokeManyRequest
            {
                Calls = [Call(1, "add", PluginInstanceTests.I32(1), PluginInstanceTests.I32(2)), Call(2, "len", bytes), Call(3, "add", PluginInstanceTests.I32(3), PluginInstanceTests.I32(4))],
                FuelBudget = long.MaxValue,
            };

            var answer = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, request).DefaultTimeout();

            Assert.Equal(3, answer.Results[0].Results[0].Bits);
            Assert.Equal(ErrorKind.Trap, answer.Results[1].Error!.Kind);
            Assert.Contains("soch_alloc must be (i32) -> i32", answer.Results[1].Error!.Message, StringComparison.Ordinal);
            Assert.Equal(7, answer.Results[2].Results[0].Bits);
        }
    }

    private static InvokeRequest Call(long id, string function, params WireValue[] args)
        => new() { CallId = id, Function = function, Args = args, Fuel = 1_000_000_000, TimeoutMs = 2000 };
}

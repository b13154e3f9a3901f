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
    public async Task InvokeMany_ACallWhoseTimeTheCallsBeforeItSpent_FailsWithTimeoutWithoutRunning()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var spin = Call(1, "spin");
            spin.TimeoutMs = 150;
            spin.Fuel = long.MaxValue / 4;
            var behind = Call(2, "count");
            behind.TimeoutMs = 100;
            var spent = Call(3, "count");
            spent.TimeoutMs = 0;

            var answer = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, new InvokeManyRequest { Calls = [spent, spin, behind], FuelBudget = long.MaxValue }).DefaultTimeout();

            Assert.All(answer.Results, r => Assert.Equal(ErrorKind.Timeout, r.Error!.Kind));
            Assert.Contains("waited for an instance, behind 0 call(s)", answer.Results[0].Error!.Message, StringComparison.Ordinal);
            Assert.Contains("behind 2 call(s)", answer.Results[2].Error!.Message, StringComparison.Ordinal);
            Assert.Equal(0, answer.Results[0].FuelConsumed);
            Assert.Equal(0, answer.Results[2].FuelConsumed);
            Assert.True(answer.Results[1].DurationUs >= 100_000, $"the spin ran {answer.Results[1].DurationUs} us");

            // The worker still serves.
            var after = await client.InvokeAsync<InvokeManyResponse>(WorkerMethods.InvokeMany, new InvokeManyRequest { Calls = [Call(4, "add", PluginInstanceTests.I32(1), PluginInstanceTests.I32(2))], FuelBudget = long.MaxValue }).DefaultTimeout();
            Assert.Equal(3, after.Results[0].Results[0].Bits);
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

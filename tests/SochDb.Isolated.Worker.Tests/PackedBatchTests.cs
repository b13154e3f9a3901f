using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Tests;
using StreamJsonRpc;

namespace SochDb.Isolated.Worker.Tests;

/// <summary>Packed batches (protocol v3): numeric rows in one buffer, answers in columns, typed calls in the worker.</summary>
public sealed class PackedBatchTests
{
    [Theory]
    [InlineData(WireFormat.MessagePackLengthPrefixed)]
    [InlineData(WireFormat.JsonLengthPrefixed)]
    [InlineData(WireFormat.JsonHeaders)]
    public async Task InvokeBatch_PackedRowsOfEveryNumericShape_AnswerPackedWithExactBits(WireFormat format)
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(format);
        using (client)
        using (service)
        {
            var i32 = await PackedAsync(client, "add", [PluginValueType.I32, PluginValueType.I32], [[int.MaxValue, 1], [-5, 2]]);
            Assert.Equal([PluginValueType.I32], i32.Packed!.Types);
            Assert.Equal([(long)int.MinValue, -3], Results(i32.Packed));

            var i64 = await PackedAsync(client, "add64", [PluginValueType.I64, PluginValueType.I64], [[long.MaxValue, 1], [40, 2]]);
            Assert.Equal([long.MinValue, 42], Results(i64.Packed!));

            var f32 = await PackedAsync(client, "mulf32", [PluginValueType.F32, PluginValueType.F32], [[BitConverter.SingleToInt32Bits(1.5f), BitConverter.SingleToInt32Bits(-2f)]]);
            Assert.Equal(-3f, BitConverter.Int32BitsToSingle((int)Results(f32.Packed!)[0]));

            var f64 = await PackedAsync(client, "mulf64", [PluginValueType.F64, PluginValueType.F64], [[BitConverter.DoubleToInt64Bits(0.1), BitConverter.DoubleToInt64Bits(3)]]);
            Assert.Equal(0.1 * 3, BitConverter.Int64BitsToDouble(Results(f64.Packed!)[0]));

            // One parameter; none at all; no results; two results (the untyped path).
            var burn = await PackedAsync(client, "burn", [PluginValueType.I32], [[3], [0]]);
            Assert.Equal([7L, 7], Results(burn.Packed!));
            var count = await PackedAsync(client, "count", [], [[], [], []]);
            Assert.Equal([1L, 2, 3], Results(count.Packed!));
            var nothing = await PackedAsync(client, "nothing", [], [[], []]);
            Assert.Empty(nothing.Packed!.Values);
            var pair = await PackedAsync(client, "pair", [PluginValueType.I32], [[-4], [9]]);
            Assert.Equal([PluginValueType.I32, PluginValueType.I64], pair.Packed!.Types);
            Assert.Equal([-4L, -3, 9, 10], Results(pair.Packed));

            foreach (var batch in new[] { i32, i64, f32, f64, burn, count, nothing, pair })
            {
                Assert.Empty(batch.Rows);
                Assert.Empty(batch.Packed!.FailedRows);
                Assert.All(batch.Packed.FuelConsumed, f => Assert.True(f > 0));
                Assert.Equal(batch.Packed.FuelConsumed.Sum(), batch.FuelConsumed);
            }
        }
    }

    [Fact]
    public async Task InvokeBatch_PackedRowTraps_FailsAloneAndTheNextRowRunsInAFreshInstance()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var batch = await PackedAsync(client, "divide", [PluginValueType.I32, PluginValueType.I32], [[10, 2], [1, 0], [9, 3]]);

            Assert.Equal([1], batch.Packed!.FailedRows);
            var failed = Assert.Single(batch.Rows);
            Assert.Equal(ErrorKind.Trap, failed.Error!.Kind);
            Assert.True(failed.Reinstantiated);
            Assert.Equal(5, Results(batch.Packed)[0]);
            Assert.Equal(0, Results(batch.Packed)[1]);
            Assert.Equal(3, Results(batch.Packed)[2]);
            Assert.Equal(batch.Packed.FuelConsumed.Sum() + failed.FuelConsumed, batch.FuelConsumed);

            // State after the trap is a fresh instance's: the counter starts again.
            var counts = await PackedAsync(client, "count", [], [[]]);
            Assert.Equal(1, Results(counts.Packed!)[0]);
        }
    }

    [Fact]
    public async Task InvokeBatch_PackedRowsPastTheirBudgets_FailWithoutRunningAndAnswerInOrder()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            // Row 1 runs out of fuel and spends the rest of the batch's budget: rows 2 and 3 fail before they start.
            var batch = await PackedAsync(client, "burn", [PluginValueType.I32], [[1], [1_000_000], [2], [1]], fuel: 10_000, fuelBudget: 10_000);

            Assert.Equal(7, Results(batch.Packed!)[0]);
            Assert.Equal([1, 2, 3], batch.Packed!.FailedRows);
            Assert.All(batch.Rows, r => Assert.Equal(ErrorKind.FuelExhausted, r.Error!.Kind));
            Assert.True(batch.Rows[0].FuelConsumed > 0);
            Assert.All(batch.Rows.Skip(1), r => Assert.Equal(0, r.FuelConsumed));
            Assert.Equal(10_000, batch.FuelConsumed);
        }
    }

    [Fact]
    public async Task InvokeBatch_PackedRowsOfTheWrongTypes_EveryRowFailsWithInvalidArguments()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var batch = await PackedAsync(client, "add", [PluginValueType.I64, PluginValueType.I32], [[1, 2], [3, 4]]);

            Assert.Equal([0, 1], batch.Packed!.FailedRows);
            Assert.All(batch.Rows, r => Assert.Equal(ErrorKind.InvalidArguments, r.Error!.Kind));
            Assert.Contains("argument 0 must be I32, got I64", batch.Rows[0].Error!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InvokeBatch_PackedRowsOfAnExportReturningABuffer_AnswerRowByRow()
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(
            WireFormat.MessagePackLengthPrefixed,
            PluginInstanceTests.Sig("bad_buffer", [], [PluginValueType.Bytes]));
        using (client)
        using (service)
        {
            var buffer = await PackedAsync(client, "bad_buffer", [], [[], []]);
            Assert.Null(buffer.Packed);
            Assert.Equal(2, buffer.Rows.Length);
            Assert.All(buffer.Rows, r => Assert.Equal(ErrorKind.Trap, r.Error!.Kind));

            var missing = await PackedAsync(client, "no_such_export", [PluginValueType.I32], [[1]]);
            Assert.Null(missing.Packed);
            Assert.Equal(ErrorKind.FunctionNotFound, Assert.Single(missing.Rows).Error!.Kind);
        }
    }

    [Theory]
    [InlineData("size")]
    [InlineData("type")]
    [InlineData("both")]
    public async Task InvokeBatch_MalformedPackedRows_FailsWithProtocolErrorAndTheWorkerStillServes(string fault)
    {
        var (client, service) = await WorkerServiceTests.ConnectLoadedAsync(WireFormat.MessagePackLengthPrefixed);
        using (client)
        using (service)
        {
            var request = Request("add", [PluginValueType.I32, PluginValueType.I32], [[1, 2]], 1000, 1_000_000);
            switch (fault)
            {
                case "size":
                    request.Packed!.Values = new byte[15];
                    break;
                case "type":
                    request.Packed!.Types = [PluginValueType.I32, PluginValueType.Bytes];
                    break;
                default:
                    request.Rows = [[PluginInstanceTests.I32(1), PluginInstanceTests.I32(2)]];
                    break;
            }

            var ex = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, request)).DefaultTimeout();
            Assert.Equal((int)ErrorKind.ProtocolError, ex.ErrorCode);

            var good = await PackedAsync(client, "add", [PluginValueType.I32, PluginValueType.I32], [[1, 2]]);
            Assert.Equal(3, Results(good.Packed!)[0]);
        }
    }

    private static Task<InvokeBatchResponse> PackedAsync(JsonRpc client, string function, PluginValueType[] types, long[][] rows, long fuel = 1_000_000, long fuelBudget = long.MaxValue)
        => client.InvokeAsync<InvokeBatchResponse>(WorkerMethods.InvokeBatch, Request(function, types, rows, fuel, fuelBudget)).DefaultTimeout();

    private static InvokeBatchRequest Request(string function, PluginValueType[] types, long[][] rows, long fuel, long fuelBudget)
    {
        var values = new byte[rows.Length * types.Length * PackedValues.ValueSize];
        for (var i = 0; i < rows.Length; i++)
        {
            for (var c = 0; c < types.Length; c++)
            {
                PackedValues.Write(values, (i * types.Length) + c, rows[i][c]);
            }
        }

        return new InvokeBatchRequest
        {
            CallId = 11,
            Function = function,
            Packed = new PackedRows { Types = types, Count = rows.Length, Values = values },
            Fuel = fuel,
            FuelBudget = fuelBudget,
            TimeoutMs = 1000,
            BatchTimeoutMs = 5000,
        };
    }

    private static long[] Results(PackedRowResults packed)
        => [.. Enumerable.Range(0, packed.Values.Length / PackedValues.ValueSize).Select(i => PackedValues.Read(packed.Values, i))];
}

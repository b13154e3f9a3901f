using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Plugins;

namespace SochDb.Isolated.Supervisor.Tests;

/// <summary>How a batch's rows are packed for the worker, and how its answer is checked before anything is read from it.</summary>
public sealed class BatchRowsTests
{
    [Fact]
    public void From_RowsOfTheSameNumericTypes_PacksTheirBitsRowAfterRow()
    {
        var rows = new[]
        {
            new[] { PluginValue.I32(-1), PluginValue.F64(0.5) },
            new[] { PluginValue.I32(7), PluginValue.F64(double.NaN) },
        };

        var batch = BatchRows.From(rows, long.MaxValue);

        Assert.Equal(2, batch.Count);
        Assert.Empty(batch.Rows);
        var packed = Assert.IsType<PackedRows>(batch.Packed);
        Assert.Equal([PluginValueType.I32, PluginValueType.F64], packed.Types);
        Assert.Equal(2, packed.Count);
        Assert.Equal(32, packed.Values.Length);
        Assert.Equal(-1, PackedValues.Read(packed.Values, 0));
        Assert.Equal(BitConverter.DoubleToInt64Bits(0.5), PackedValues.Read(packed.Values, 1));
        Assert.Equal(7, PackedValues.Read(packed.Values, 2));
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.NaN), PackedValues.Read(packed.Values, 3));
    }

    public static TheoryData<string, PluginValue[][]> Unpackable() => new()
    {
        { "a buffer", [[PluginValue.Bytes([1, 2])], [PluginValue.Bytes([3])]] },
        { "a string", [[PluginValue.String("x")]] },
        { "types that differ between rows", [[PluginValue.I32(1)], [PluginValue.I64(1)]] },
        { "rows of different lengths", [[PluginValue.I32(1)], [PluginValue.I32(1), PluginValue.I32(2)]] },
    };

    [Theory]
    [MemberData(nameof(Unpackable))]
    public void From_RowsThatCannotBePacked_TravelValueByValue(string why, PluginValue[][] rows)
    {
        var batch = BatchRows.From(rows, long.MaxValue);

        Assert.True(batch.Packed is null, why);
        Assert.Equal(rows.Length, batch.Rows.Length);
        Assert.Equal(rows.Select(r => r.Length), batch.Rows.Select(r => r.Length));
    }

    [Fact]
    public void From_PackedRowsOverTheSizeLimit_AreMeasuredNotBuilt()
    {
        var rows = Enumerable.Range(0, 1000).Select(i => new[] { PluginValue.I64(i) }).ToArray();

        var batch = BatchRows.From(rows, 4096);

        Assert.True(batch.WireBytes > 4096);
        Assert.Null(batch.Packed);
        Assert.Empty(batch.Rows);
    }

    [Fact]
    public void BatchAnswerProblem_AWellFormedPackedAnswer_IsNull()
    {
        var rows = PackedBatch(3);

        Assert.Null(PluginSupervisor.BatchAnswerProblem(Answer(3, failed: [1]), rows, I32));
    }

    public static TheoryData<string, Action<InvokeBatchResponse>> HostileAnswers() => new()
    {
        { "bytes of packed results", a => a.Packed!.Values = new byte[7] },
        { "bytes of packed results", a => a.Packed!.Types = [PluginValueType.Bytes] },
        { "bytes of packed results", a => (a.Packed!.Types, a.Packed.Values) = ([PluginValueType.I32, PluginValueType.I32], new byte[48]) },
        { "bytes of packed results", a => a.Packed!.Types = [PluginValueType.I64] },
        { "missing column", a => a.Packed!.HostCalls = null! },
        { "missing row outcomes", a => a.Rows = null! },
        { "figure columns", a => a.Packed!.FuelConsumed = new long[2] },
        { "figure columns", a => a.Packed!.PeakMemoryBytes = [] },
        { "outcomes for them", a => a.Rows = [] },
        { "out of order or range", a => a.Packed!.FailedRows = [3] },
        { "out of order or range", a => a.Packed!.FailedRows = [-1] },
        { "out of order or range", a => (a.Packed!.FailedRows, a.Rows) = ([1, 1], [new InvokeResponse(), new InvokeResponse()]) },
    };

    [Theory]
    [MemberData(nameof(HostileAnswers))]
    public void BatchAnswerProblem_AHostileWorkersPackedAnswer_IsNamed(string expected, Action<InvokeBatchResponse> spoil)
    {
        var answer = Answer(3, failed: [1]);
        spoil(answer);

        var problem = PluginSupervisor.BatchAnswerProblem(answer, PackedBatch(3), I32);

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchAnswerProblem_PackedAnswerToUnpackedRows_IsNamed()
    {
        var rows = BatchRows.From([[PluginValue.String("a")], [PluginValue.String("b")], [PluginValue.String("c")]], long.MaxValue);

        Assert.Contains("not packed", PluginSupervisor.BatchAnswerProblem(Answer(3, failed: []), rows, I32), StringComparison.Ordinal);
        Assert.Contains("2 rows", PluginSupervisor.BatchAnswerProblem(new InvokeBatchResponse { Rows = [new(), new()] }, rows, I32), StringComparison.Ordinal);
    }

    private static readonly PluginValueType?[] I32 = [PluginValueType.I32];

    private static BatchRows PackedBatch(int count) => BatchRows.From([.. Enumerable.Range(0, count).Select(i => new[] { PluginValue.I32(i) })], long.MaxValue);

    private static InvokeBatchResponse Answer(int count, int[] failed) => new()
    {
        Rows = [.. failed.Select(_ => new InvokeResponse { Error = new WorkerError { Kind = ErrorKind.Trap, Message = "trap" } })],
        Packed = new PackedRowResults
        {
            Types = [PluginValueType.I32],
            Values = new byte[count * PackedValues.ValueSize],
            FuelConsumed = new long[count],
            DurationUs = new long[count],
            HostCalls = new long[count],
            PeakMemoryBytes = new long[count],
            FailedRows = failed,
        },
    };
}

using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class ErrorMapperTests
{
    private const string PluginId = "mapper-plugin";

    [Fact]
    public void ToException_FuelExhausted_CarriesConsumedFuel()
    {
        var error = new WorkerError { Kind = ErrorKind.FuelExhausted, Message = "all fuel consumed", FuelConsumed = 12_345 };

        var ex = Assert.IsType<FuelExhaustedException>(ErrorMapper.ToException(PluginId, error));

        Assert.Equal(ErrorKind.FuelExhausted, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.Equal(12_345, ex.Consumed);
        Assert.Contains("all fuel consumed", ex.Message, StringComparison.Ordinal);
        Assert.Contains(PluginId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToException_Timeout_CarriesElapsedAndWorkerNotKilled()
    {
        var error = new WorkerError { Kind = ErrorKind.Timeout, Message = "deadline passed", ElapsedMs = 1_234.5 };

        var ex = Assert.IsType<PluginTimeoutException>(ErrorMapper.ToException(PluginId, error));

        Assert.Equal(ErrorKind.Timeout, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.Equal(TimeSpan.FromMilliseconds(1_234.5), ex.Elapsed);
        Assert.False(ex.WorkerKilled);
        Assert.Contains("deadline passed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToException_MemoryLimitExceeded_CarriesUsedAndLimit()
    {
        var error = new WorkerError { Kind = ErrorKind.MemoryLimitExceeded, Message = "grow refused", UsedBytes = 3 * 65_536, LimitBytes = 2 * 65_536 };

        var ex = Assert.IsType<MemoryLimitExceededException>(ErrorMapper.ToException(PluginId, error));

        Assert.Equal(ErrorKind.MemoryLimitExceeded, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.Equal(196_608, ex.UsedBytes);
        Assert.Equal(131_072, ex.LimitBytes);
        Assert.Contains("196608 of 131072 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("grow refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToException_Trap_CarriesTrapCode()
    {
        var error = new WorkerError { Kind = ErrorKind.Trap, Message = "wasm trap: unreachable", TrapCode = "Unreachable" };

        var ex = Assert.IsType<PluginTrapException>(ErrorMapper.ToException(PluginId, error));

        Assert.Equal(ErrorKind.Trap, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.Equal("Unreachable", ex.TrapCode);
        Assert.Contains("wasm trap: unreachable", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToException_TrapWithoutCode_HasNullTrapCode()
    {
        var error = new WorkerError { Kind = ErrorKind.Trap, Message = "soch_init returned 1" };

        var ex = Assert.IsType<PluginTrapException>(ErrorMapper.ToException(PluginId, error));

        Assert.Null(ex.TrapCode);
    }

    [Theory]
    [InlineData(ErrorKind.FunctionNotFound)]
    [InlineData(ErrorKind.InvalidArguments)]
    [InlineData(ErrorKind.HostError)]
    [InlineData(ErrorKind.CapabilityDenied)]
    [InlineData(ErrorKind.InvalidWasm)]
    public void ToException_OtherDefinedKind_IsPlainPluginExceptionOfThatKind(ErrorKind kind)
    {
        var error = new WorkerError { Kind = kind, Message = "details here" };

        var ex = Assert.IsType<PluginException>(ErrorMapper.ToException(PluginId, error));

        Assert.Equal(kind, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.Contains("details here", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    [InlineData(999)]
    [InlineData(-3)]
    public void ToException_UndefinedKind_IsProtocolErrorNamingTheNumber(int kind)
    {
        var error = new WorkerError { Kind = (ErrorKind)kind, Message = "from the future" };

        var ex = Assert.IsType<PluginException>(ErrorMapper.ToException(PluginId, error));

        Assert.Equal(ErrorKind.ProtocolError, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.Contains($"unknown error kind {kind}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("from the future", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(1e300)]
    [InlineData(-5)]
    public void ToException_TimeoutWithNonsenseElapsed_StillMapsToTimeout(double elapsedMs)
    {
        var ex = Assert.IsType<PluginTimeoutException>(ErrorMapper.ToException(PluginId, new WorkerError { Kind = ErrorKind.Timeout, ElapsedMs = elapsedMs }));
        Assert.InRange(ex.Elapsed, TimeSpan.Zero, TimeSpan.FromDays(1));
    }
}

using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class PluginSupervisorOptionsTests
{
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan OneTick = TimeSpan.FromTicks(1);

    private static readonly Dictionary<string, Action<PluginSupervisorOptions>> OutOfRange = new(StringComparer.Ordinal)
    {
        ["MaxSandboxes=0"] = o => o.MaxSandboxes = 0,
        ["MaxSandboxes=-1"] = o => o.MaxSandboxes = -1,
        ["MaxSandboxes=4097"] = o => o.MaxSandboxes = 4097,
        ["FuelBudget=0"] = o => o.FuelBudget = 0,
        ["FuelBudget=-1"] = o => o.FuelBudget = -1,
        ["MaxQueuedCalls=-1"] = o => o.MaxQueuedCalls = -1,
        ["MaxQueuedCalls=100001"] = o => o.MaxQueuedCalls = 100_001,
        ["QueueTimeout=0"] = o => o.QueueTimeout = TimeSpan.Zero,
        ["QueueTimeout=10min+1tick"] = o => o.QueueTimeout = TimeSpan.FromMinutes(10) + OneTick,
        ["MaxInstancesPerPlugin=0"] = o => o.MaxInstancesPerPlugin = 0,
        ["MaxInstancesPerPlugin=65"] = o => o.MaxInstancesPerPlugin = 65,
        ["ReloadDrainTimeout=-1tick"] = o => o.ReloadDrainTimeout = -OneTick,
        ["ReloadDrainTimeout=10min+1tick"] = o => o.ReloadDrainTimeout = TimeSpan.FromMinutes(10) + OneTick,
        ["ReloadProbation=-1tick"] = o => o.ReloadProbation = -OneTick,
        ["ReloadProbation=10min+1tick"] = o => o.ReloadProbation = TimeSpan.FromMinutes(10) + OneTick,
        ["DirectCallSpin=-1tick"] = o => o.DirectCallSpin = -OneTick,
        ["DirectCallSpin=1ms+1tick"] = o => o.DirectCallSpin = TimeSpan.FromMilliseconds(1) + OneTick,
        ["CallGrace=9ms"] = o => o.CallGrace = TimeSpan.FromMilliseconds(9),
        ["CallGrace=5min+1tick"] = o => o.CallGrace = FiveMinutes + OneTick,
        ["WorkerStartTimeout=99ms"] = o => o.WorkerStartTimeout = TimeSpan.FromMilliseconds(99),
        ["WorkerStartTimeout=5min+1tick"] = o => o.WorkerStartTimeout = FiveMinutes + OneTick,
        ["WarmPoolSize=-1"] = o => o.WarmPoolSize = -1,
        ["WarmPoolSize=65"] = o => o.WarmPoolSize = 65,
        ["WorkerStopTimeout=-1tick"] = o => o.WorkerStopTimeout = -OneTick,
        ["WorkerStopTimeout=5min+1tick"] = o => o.WorkerStopTimeout = FiveMinutes + OneTick,
        ["InitFuel=0"] = o => o.InitFuel = 0,
        ["InitFuel=-1"] = o => o.InitFuel = -1,
        ["InitTimeout=0"] = o => o.InitTimeout = TimeSpan.Zero,
        ["InitTimeout=1ms-1tick"] = o => o.InitTimeout = TimeSpan.FromMilliseconds(1) - OneTick,
        ["InitTimeout=5min+1tick"] = o => o.InitTimeout = FiveMinutes + OneTick,
        ["WireFormat=3"] = o => o.WireFormat = (WireFormat)3,
        ["WireFormat=-1"] = o => o.WireFormat = (WireFormat)(-1),
        ["MaxMessageBytes=65MiB-1"] = o => o.MaxMessageBytes = (65L * 1024 * 1024) - 1,
        ["MaxMessageBytes=1GiB+1"] = o => o.MaxMessageBytes = (1L << 30) + 1,
        ["ModuleCacheMaxBytes=1MiB-1"] = o => o.ModuleCacheMaxBytes = (1L << 20) - 1,
        ["ModuleCacheMaxBytes=1TiB+1"] = o => o.ModuleCacheMaxBytes = (1L << 40) + 1,
        ["ModuleCacheDirectory=empty"] = o => o.ModuleCacheDirectory = string.Empty,
        ["MaxBatchRows=0"] = o => o.MaxBatchRows = 0,
        ["MaxBatchRows=1000001"] = o => o.MaxBatchRows = 1_000_001,
        ["MaxBatchDuration=1ms-1tick"] = o => o.MaxBatchDuration = TimeSpan.FromMilliseconds(1) - OneTick,
        ["MaxCoalescedCalls=1"] = o => o.MaxCoalescedCalls = 1,
        ["MaxCoalescedCalls=1025"] = o => o.MaxCoalescedCalls = 1025,
        ["MaxBatchDuration=1h+1tick"] = o => o.MaxBatchDuration = TimeSpan.FromHours(1) + OneTick,
    };

    private static readonly Dictionary<string, Action<PluginSupervisorOptions>> Boundaries = new(StringComparer.Ordinal)
    {
        ["MaxSandboxes=1"] = o => o.MaxSandboxes = 1,
        ["MaxSandboxes=4096"] = o => o.MaxSandboxes = 4096,
        ["FuelBudget=1"] = o => o.FuelBudget = 1,
        ["FuelBudget=max"] = o => o.FuelBudget = long.MaxValue,
        ["MaxQueuedCalls=0"] = o => o.MaxQueuedCalls = 0,
        ["MaxQueuedCalls=100000"] = o => o.MaxQueuedCalls = 100_000,
        ["QueueTimeout=1ms"] = o => o.QueueTimeout = TimeSpan.FromMilliseconds(1),
        ["QueueTimeout=10min"] = o => o.QueueTimeout = TimeSpan.FromMinutes(10),
        ["MaxInstancesPerPlugin=1"] = o => o.MaxInstancesPerPlugin = 1,
        ["MaxInstancesPerPlugin=64"] = o => o.MaxInstancesPerPlugin = 64,
        ["ReloadDrainTimeout=0"] = o => o.ReloadDrainTimeout = TimeSpan.Zero,
        ["ReloadProbation=0"] = o => o.ReloadProbation = TimeSpan.Zero,
        ["ReloadProbation=10min"] = o => o.ReloadProbation = TimeSpan.FromMinutes(10),
        ["DirectCallSpin=0"] = o => o.DirectCallSpin = TimeSpan.Zero,
        ["DirectCallSpin=1ms"] = o => o.DirectCallSpin = TimeSpan.FromMilliseconds(1),
        ["CallGrace=10ms"] = o => o.CallGrace = TimeSpan.FromMilliseconds(10),
        ["CallGrace=5min"] = o => o.CallGrace = FiveMinutes,
        ["WorkerStartTimeout=100ms"] = o => o.WorkerStartTimeout = TimeSpan.FromMilliseconds(100),
        ["WorkerStartTimeout=5min"] = o => o.WorkerStartTimeout = FiveMinutes,
        ["WarmPoolSize=0"] = o => o.WarmPoolSize = 0,
        ["WarmPoolSize=64"] = o => o.WarmPoolSize = 64,
        ["WorkerStopTimeout=0"] = o => o.WorkerStopTimeout = TimeSpan.Zero,
        ["WorkerStopTimeout=5min"] = o => o.WorkerStopTimeout = FiveMinutes,
        ["InitFuel=1"] = o => o.InitFuel = 1,
        ["InitTimeout=1ms"] = o => o.InitTimeout = TimeSpan.FromMilliseconds(1),
        ["InitTimeout=5min"] = o => o.InitTimeout = FiveMinutes,
        ["WireFormat=JsonLengthPrefixed"] = o => o.WireFormat = WireFormat.JsonLengthPrefixed,
        ["WireFormat=JsonHeaders"] = o => o.WireFormat = WireFormat.JsonHeaders,
        ["MaxMessageBytes=65MiB"] = o => o.MaxMessageBytes = 65L * 1024 * 1024,
        ["MaxMessageBytes=1GiB"] = o => o.MaxMessageBytes = 1L << 30,
        ["ModuleCacheMaxBytes=1MiB"] = o => o.ModuleCacheMaxBytes = 1L << 20,
        ["ModuleCacheMaxBytes=1TiB"] = o => o.ModuleCacheMaxBytes = 1L << 40,
        ["MaxBatchRows=1"] = o => o.MaxBatchRows = 1,
        ["MaxBatchRows=1000000"] = o => o.MaxBatchRows = 1_000_000,
        ["MaxBatchDuration=1ms"] = o => o.MaxBatchDuration = TimeSpan.FromMilliseconds(1),
        ["MaxCoalescedCalls=2"] = o => o.MaxCoalescedCalls = 2,
        ["MaxCoalescedCalls=1024"] = o => o.MaxCoalescedCalls = 1024,
        ["MaxBatchDuration=1h"] = o => o.MaxBatchDuration = TimeSpan.FromHours(1),
    };

    public static TheoryData<string> OutOfRangeCases => [.. OutOfRange.Keys];

    public static TheoryData<string> BoundaryCases => [.. Boundaries.Keys];

    [Fact]
    public void Validate_Defaults_DoesNotThrow()
    {
        new PluginSupervisorOptions().Validate();
    }

    [Fact]
    public void Constructor_Defaults_MatchTheDocumentedValues()
    {
        var options = new PluginSupervisorOptions();

        Assert.Equal(64, options.MaxSandboxes);
        Assert.Equal(1_000_000_000, options.FuelBudget);
        Assert.Equal(256, options.MaxQueuedCalls);
        Assert.Equal(TimeSpan.FromSeconds(30), options.QueueTimeout);
        Assert.Equal(4, options.MaxInstancesPerPlugin);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReloadDrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ReloadProbation);
        Assert.Equal(TimeSpan.FromSeconds(2), options.CallGrace);
        Assert.Equal(TimeSpan.FromSeconds(15), options.WorkerStartTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.WorkerStopTimeout);
        Assert.Equal(0, options.WarmPoolSize);
        Assert.Equal(100_000_000, options.InitFuel);
        Assert.Equal(TimeSpan.FromSeconds(5), options.InitTimeout);
        Assert.Null(options.WireFormat);
        Assert.Equal(96L * 1024 * 1024, options.MaxMessageBytes);
        Assert.Equal(10_000, options.MaxBatchRows);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxBatchDuration);
        Assert.False(options.CoalesceCalls);
        Assert.False(options.DirectCalls);
        Assert.Equal(TimeSpan.FromMicroseconds(200), options.DirectCallSpin);
        Assert.Equal(64, options.MaxCoalescedCalls);
        Assert.Null(options.WorkerPath);
        Assert.Equal(LogLevel.Information, options.WorkerLogLevel);
    }

    [Theory]
    [MemberData(nameof(OutOfRangeCases))]
    public void Validate_OutOfRange_ThrowsNamingTheProperty(string setting)
    {
        var options = new PluginSupervisorOptions();
        OutOfRange[setting](options);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Equal(setting[..setting.IndexOf('=', StringComparison.Ordinal)], ex.ParamName);
    }

    [Theory]
    [MemberData(nameof(BoundaryCases))]
    public void Validate_ValueAtTheBoundary_DoesNotThrow(string setting)
    {
        var options = new PluginSupervisorOptions();
        Boundaries[setting](options);

        options.Validate();
    }

    [Fact]
    public void Validate_UndefinedWorkerLogLevel_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new PluginSupervisorOptions { WorkerLogLevel = (LogLevel)42 }.Validate());
        Assert.Equal(nameof(PluginSupervisorOptions.WorkerLogLevel), ex.ParamName);
    }
}

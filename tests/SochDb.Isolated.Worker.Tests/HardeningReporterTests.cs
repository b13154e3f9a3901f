using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Hardening;

namespace SochDb.Isolated.Worker.Tests;

public sealed class HardeningReporterTests
{
    private const string HardenedStatus = """
        Name:	dotnet
        Umask:	0022
        State:	S (sleeping)
        Uid:	65534	65534	65534	65534
        Gid:	65534	65534	65534	65534
        FDSize:	256
        Groups:
        CapInh:	0000000000000000
        CapPrm:	0000000000000000
        CapEff:	0000000000000000
        CapBnd:	00000000000000c0
        CapAmb:	0000000000000000
        NoNewPrivs:	1
        Seccomp:	0
        """;

    private const string NetDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
          eth0: 1234567    8910    0    0    0     0          0         0   654321    1098    0    0    0     0       0          0
        """;

    [Fact]
    public void FillFromStatus_HardenedWorker_ReadsEveryField()
    {
        var report = new WorkerHardeningReport();
        var problems = new List<string>();

        HardeningReporter.FillFromStatus(HardeningReporter.ParseStatus(HardenedStatus), report, problems);

        Assert.Empty(problems);
        Assert.Equal(65534u, report.UserId);
        Assert.Equal(65534u, report.GroupId);
        Assert.Equal([], report.SupplementaryGroups!);
        Assert.True(report.CredentialsConsistent);
        Assert.True(report.NoNewPrivileges);
        Assert.Equal(0ul, report.EffectiveCapabilities);
        Assert.Equal(0ul, report.PermittedCapabilities);
        Assert.Equal(0xc0ul, report.BoundingCapabilities);
    }

    [Fact]
    public void FillFromStatus_RealAndEffectiveDiffer_IsInconsistent()
    {
        var report = new WorkerHardeningReport();
        var status = HardeningReporter.ParseStatus(HardenedStatus.Replace("Uid:\t65534\t65534", "Uid:\t0\t65534", StringComparison.Ordinal));

        HardeningReporter.FillFromStatus(status, report, []);

        Assert.False(report.CredentialsConsistent);
        Assert.Equal(65534u, report.UserId);
    }

    [Fact]
    public void FillFromStatus_OldKernelWithoutNoNewPrivs_LeavesItUnknownAndSaysSo()
    {
        var report = new WorkerHardeningReport();
        var problems = new List<string>();
        var status = HardeningReporter.ParseStatus(HardenedStatus.Replace("NoNewPrivs:\t1", string.Empty, StringComparison.Ordinal));

        HardeningReporter.FillFromStatus(status, report, problems);

        Assert.Null(report.NoNewPrivileges);
        Assert.Contains(problems, p => p.Contains("NoNewPrivs", StringComparison.Ordinal));
    }

    [Fact]
    public void FillFromStatus_Groups_AreParsed()
    {
        var report = new WorkerHardeningReport();

        HardeningReporter.FillFromStatus(HardeningReporter.ParseStatus(HardenedStatus.Replace("Groups:", "Groups:\t0 27 100 ", StringComparison.Ordinal)), report, []);

        Assert.Equal([0u, 27u, 100u], report.SupplementaryGroups!);
    }

    [Fact]
    public void ParseInterfaces_SkipsTheHeaderAndTrimsNames()
    {
        Assert.Equal(["lo", "eth0"], HardeningReporter.ParseInterfaces(NetDev));
    }

    [Fact]
    public void Read_ThisProcess_ReportsItsOwnState()
    {
        var report = HardeningReporter.Read();

        Assert.Equal(WorkerHardeningReport.CurrentVersion, report.Version);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(report.UserId);
            return;
        }

        Assert.Equal("linux", report.Platform);
        Assert.Empty(report.Problems!);
        Assert.NotNull(report.UserId);
        Assert.NotNull(report.NoNewPrivileges);
        Assert.True(report.CredentialsConsistent);
        Assert.NotNull(report.OpenFilesHardLimit);
        Assert.NotNull(report.CoreHardLimit);
        Assert.True(report.Dumpable);
        Assert.StartsWith("net:[", report.NetworkNamespace, StringComparison.Ordinal);
        Assert.Contains("lo", report.NetworkInterfaces!);
    }
}

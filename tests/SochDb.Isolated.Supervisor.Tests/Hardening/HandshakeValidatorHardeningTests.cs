using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Tests.Hardening;

public sealed class HandshakeValidatorHardeningTests
{
    private const string OwnNamespace = "net:[4026531840]";

    private static readonly Dictionary<string, (Action<WorkerHardeningReport> Break, string Mentions)> Mismatches = new(StringComparer.Ordinal)
    {
        ["platform"] = (r => r.Platform = "windows", "platform 'windows'"),
        ["old version"] = (r => r.Version = 0, "unknown version 0"),
        ["threads disagree"] = (r => { r.CredentialsConsistent = false; r.Problems = ["thread 42 has NoNewPrivs '0'"]; }, "thread 42"),
        ["consistency unknown"] = (r => r.CredentialsConsistent = null, "disagree"),
        ["no nnp"] = (r => r.NoNewPrivileges = false, "no_new_privs"),
        ["nnp unknown"] = (r => r.NoNewPrivileges = null, "no_new_privs"),
        ["effective caps"] = (r => r.EffectiveCapabilities = 0x1fffeffffff, "effective 0x1fffeffffff"),
        ["permitted caps"] = (r => r.PermittedCapabilities = 0x400, "permitted 0x400"),
        ["caps unknown"] = (r => r.EffectiveCapabilities = null, "effective unknown"),
        ["wrong user"] = (r => r.UserId = 0, "runs as 0:65534"),
        ["wrong group"] = (r => r.GroupId = 0, "runs as 65534:0"),
        ["groups kept"] = (r => r.SupplementaryGroups = [0, 27], "supplementary groups (0,27)"),
        ["groups unknown"] = (r => r.SupplementaryGroups = null, "supplementary groups"),
        ["nofile too high"] = (r => r.OpenFilesHardLimit = 1_048_576, "open-files limit is 256/1048576"),
        ["nofile unlimited"] = (r => r.OpenFilesHardLimit = WorkerHardeningReport.Unlimited, "open-files limit"),
        ["nofile soft above hard"] = (r => r.OpenFilesSoftLimit = 1024, "open-files limit is 1024/256"),
        ["nofile unknown"] = (r => r.OpenFilesHardLimit = null, "open-files limit is 256/unknown"),
        ["core soft"] = (r => r.CoreSoftLimit = WorkerHardeningReport.Unlimited, "core limit -1/0"),
        ["core hard"] = (r => r.CoreHardLimit = 4096, "core limit 0/4096"),
        ["dumpable"] = (r => r.Dumpable = true, "dumpable True"),
        ["dumpable unknown"] = (r => r.Dumpable = null, "dumpable unknown"),
        ["same namespace"] = (r => r.NetworkNamespace = OwnNamespace, "not in a network namespace of its own"),
        ["namespace unknown"] = (r => r.NetworkNamespace = null, "not in a network namespace of its own"),
        ["extra interface"] = (r => r.NetworkInterfaces = ["lo", "eth0"], "other than lo (lo, eth0)"),
        ["interfaces unknown"] = (r => r.NetworkInterfaces = null, "other than lo (unknown)"),
    };

    public static TheoryData<string> MismatchCases => [.. Mismatches.Keys];

    private static HardeningExpectation Everything() => new()
    {
        Linux = true,
        NoNewPrivileges = true,
        NoCapabilities = true,
        MaxOpenFiles = 256,
        CoreDumpsDisabled = true,
        NetworkIsolated = true,
        SupervisorNetworkNamespace = OwnNamespace,
        UserId = 65534,
        GroupId = 65534,
    };

    private static WorkerHardeningReport Hardened() => new()
    {
        Platform = "linux",
        NoNewPrivileges = true,
        UserId = 65534,
        GroupId = 65534,
        SupplementaryGroups = [],
        CredentialsConsistent = true,
        EffectiveCapabilities = 0,
        PermittedCapabilities = 0,
        BoundingCapabilities = 0xc0,
        OpenFilesSoftLimit = 256,
        OpenFilesHardLimit = 256,
        CoreSoftLimit = 0,
        CoreHardLimit = 0,
        Dumpable = false,
        NetworkNamespace = "net:[4026532290]",
        NetworkInterfaces = ["lo"],
        Problems = [],
    };

    [Fact]
    public void ValidateHardening_FullyHardenedWorker_ReturnsNull()
    {
        Assert.Null(HandshakeValidator.ValidateHardening(Hardened(), Everything()));
    }

    [Theory]
    [MemberData(nameof(MismatchCases))]
    public void ValidateHardening_OneMeasureMissing_NamesIt(string mismatch)
    {
        var (breakIt, mentions) = Mismatches[mismatch];
        var report = Hardened();
        breakIt(report);

        var problem = HandshakeValidator.ValidateHardening(report, Everything());

        Assert.NotNull(problem);
        Assert.Contains(mentions, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateHardening_NoReportButExpectations_SaysSo()
    {
        Assert.Equal("the worker sent no hardening report", HandshakeValidator.ValidateHardening(null, Everything()));
    }

    [Fact]
    public void ValidateHardening_NothingExpected_AcceptsAnythingEvenNoReport()
    {
        Assert.Null(HandshakeValidator.ValidateHardening(null, HardeningExpectation.None));
        Assert.Null(HandshakeValidator.ValidateHardening(new WorkerHardeningReport { Platform = "windows" }, HardeningExpectation.None));
    }

    [Fact]
    public void ValidateHardening_HardLimitClampedBelowTheRequest_IsAccepted()
    {
        var report = Hardened();
        report.OpenFilesSoftLimit = 100;
        report.OpenFilesHardLimit = 100;

        Assert.Null(HandshakeValidator.ValidateHardening(report, Everything()));
    }

    [Fact]
    public void ValidateHardening_OnlyAppliedMeasuresAreChecked()
    {
        var report = Hardened();
        report.NoNewPrivileges = false;
        report.EffectiveCapabilities = 0x1fffeffffff;
        report.PermittedCapabilities = 0x1fffeffffff;
        report.NetworkNamespace = OwnNamespace;
        report.NetworkInterfaces = ["lo", "eth0"];
        report.UserId = 0;
        report.GroupId = 0;
        report.SupplementaryGroups = [0];
        var degraded = new HardeningExpectation { Linux = true, MaxOpenFiles = 256, CoreDumpsDisabled = true, SupervisorNetworkNamespace = OwnNamespace };

        Assert.Null(HandshakeValidator.ValidateHardening(report, degraded));
    }

    [Fact]
    public void ValidateHardening_UnknownSupervisorNamespace_StillRequiresOnlyLoopback()
    {
        var expected = Everything() with { SupervisorNetworkNamespace = null };

        Assert.Null(HandshakeValidator.ValidateHardening(Hardened(), expected));
        var report = Hardened();
        report.NetworkInterfaces = ["lo", "eth0"];
        Assert.NotNull(HandshakeValidator.ValidateHardening(report, expected));
    }
}

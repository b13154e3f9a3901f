using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.Hardening;

public sealed class HardeningPlannerTests
{
    private const string Unshare = "/usr/bin/unshare";
    private const string Setpriv = "/usr/bin/setpriv";
    private const string OwnNamespace = "net:[4026531840]";

    private static readonly (uint, uint) Nobody = (65534, 65534);

    private static HardeningProbe RootHost() => new(
        IsLinux: true,
        IsRoot: true,
        UnsharePath: Unshare,
        SetprivPath: Setpriv,
        NoNewPrivileges: true,
        DropCapabilities: true,
        Network: NetworkNamespaceSupport.Privileged,
        UserNamespaceDropCapabilities: false,
        Notes: []);

    private static HardeningProbe UserHost() => RootHost() with
    {
        IsRoot = false,
        DropCapabilities = false,
        Network = NetworkNamespaceSupport.UserNamespace,
        UserNamespaceDropCapabilities = true,
    };

    private static HardeningPlan Plan(HardeningOptions options, HardeningProbe probe, (uint, uint)? user = null, string? userProblem = null)
        => HardeningPlanner.Plan(options, probe, user, userProblem, OwnNamespace);

    [Fact]
    public void Plan_RootWithEverything_ChainsUnshareThenSetprivAndExpectsAll()
    {
        var plan = Plan(new HardeningOptions(), RootHost());

        Assert.Null(plan.Failure);
        Assert.Empty(plan.Degradations);
        Assert.Equal([Unshare, "--net", "--", Setpriv, "--no-new-privs", "--bounding-set", "-all", "--inh-caps", "-all", "--"], plan.LaunchPrefix);
        Assert.True(plan.MarkDescriptorsCloseOnExec);
        Assert.Equal(256, plan.WorkerRequest!.MaxOpenFiles);
        Assert.True(plan.WorkerRequest.DisableCoreDumps);
        Assert.Null(plan.WorkerRequest.UserId);
        Assert.Equal(
            new HardeningExpectation
            {
                Linux = true,
                NoNewPrivileges = true,
                NoCapabilities = true,
                MaxOpenFiles = 256,
                CoreDumpsDisabled = true,
                NetworkIsolated = true,
                SupervisorNetworkNamespace = OwnNamespace,
            },
            plan.Expected);
        Assert.Contains("own network namespace", plan.Summary, StringComparison.Ordinal);
        Assert.Contains("no_new_privs", plan.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RootWithWorkerUser_KeepsOnlySetuidAndSetgidForTheWorkersOwnSwitch()
    {
        var plan = Plan(new HardeningOptions { WorkerUser = "nobody" }, RootHost(), Nobody);

        Assert.Null(plan.Failure);
        Assert.Equal([Unshare, "--net", "--", Setpriv, "--no-new-privs", "--bounding-set", "-all,+setuid,+setgid", "--inh-caps", "-all", "--"], plan.LaunchPrefix);
        Assert.Equal(65534u, plan.WorkerRequest!.UserId);
        Assert.Equal(65534u, plan.WorkerRequest.GroupId);
        Assert.Equal(65534u, plan.Expected.UserId);
        Assert.True(plan.Expected.NoCapabilities);
        Assert.Contains("user 65534:65534", plan.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RootWithWorkerUserButNoCapabilityDrop_StillExpectsNoCapabilitiesAfterTheSwitch()
    {
        var plan = Plan(new HardeningOptions { WorkerUser = "nobody", DropCapabilities = false }, RootHost(), Nobody);

        Assert.Equal([Unshare, "--net", "--", Setpriv, "--no-new-privs", "--"], plan.LaunchPrefix);
        Assert.True(plan.Expected.NoCapabilities);
    }

    [Fact]
    public void Plan_UnprivilegedWithUserNamespaces_UsesAUserNamespaceAndDropsItsCapabilities()
    {
        var plan = Plan(new HardeningOptions(), UserHost());

        Assert.Null(plan.Failure);
        Assert.Empty(plan.Degradations);
        Assert.Equal([Unshare, "--user", "--map-root-user", "--net", "--", Setpriv, "--no-new-privs", "--bounding-set", "-all", "--inh-caps", "-all", "--"], plan.LaunchPrefix);
        Assert.True(plan.Expected.NetworkIsolated);
        Assert.True(plan.Expected.NoCapabilities);
        Assert.Null(plan.Expected.UserId);
    }

    [Fact]
    public void Plan_UserNamespaceWithoutCapabilityDrop_DegradesDropCapabilities()
    {
        var plan = Plan(new HardeningOptions(), UserHost() with { UserNamespaceDropCapabilities = false });

        Assert.Null(plan.Failure);
        var degradation = Assert.Single(plan.Degradations);
        Assert.Equal(nameof(HardeningOptions.DropCapabilities), degradation.Measure);
        Assert.Equal([Unshare, "--user", "--map-root-user", "--net", "--", Setpriv, "--no-new-privs", "--"], plan.LaunchPrefix);
        Assert.False(plan.Expected.NoCapabilities);
    }

    [Fact]
    public void Plan_UnprivilegedWithoutNamespaces_AutoDegradesNetworkAndKeepsNoNewPrivs()
    {
        var plan = Plan(new HardeningOptions(), UserHost() with { Network = NetworkNamespaceSupport.None });

        Assert.Null(plan.Failure);
        var degradation = Assert.Single(plan.Degradations);
        Assert.Equal(nameof(HardeningOptions.NetworkIsolation), degradation.Measure);
        Assert.Contains("user namespaces are not available", degradation.Reason, StringComparison.Ordinal);
        Assert.Equal([Setpriv, "--no-new-privs", "--"], plan.LaunchPrefix);
        Assert.False(plan.Expected.NetworkIsolated);
        Assert.False(plan.Expected.NoCapabilities);
    }

    [Fact]
    public void Plan_NetworkRequiredButUnavailable_FailsNamingTheCause()
    {
        var plan = Plan(new HardeningOptions { NetworkIsolation = HardeningRequirement.Required }, UserHost() with { Network = NetworkNamespaceSupport.None });

        Assert.NotNull(plan.Failure);
        Assert.Contains("NetworkIsolation is Required", plan.Failure, StringComparison.Ordinal);
        Assert.Contains("user namespaces", plan.Failure, StringComparison.Ordinal);
        Assert.Empty(plan.Degradations);
    }

    [Fact]
    public void Plan_NoUnshareBinary_SaysItWasNotFound()
    {
        var plan = Plan(new HardeningOptions(), RootHost() with { UnsharePath = null, Network = NetworkNamespaceSupport.None });

        var degradation = Assert.Single(plan.Degradations);
        Assert.Contains("'unshare' was not found", degradation.Reason, StringComparison.Ordinal);
        Assert.Equal(Setpriv, plan.LaunchPrefix[0]);
    }

    [Fact]
    public void Plan_RootInRestrictedContainer_SaysUnshareIsNotPermitted()
    {
        var plan = Plan(new HardeningOptions(), RootHost() with { Network = NetworkNamespaceSupport.None });

        var degradation = Assert.Single(plan.Degradations);
        Assert.Contains("CAP_SYS_ADMIN", degradation.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_NoSetprivBinary_DegradesNoNewPrivsAndCapabilitiesButKeepsTheNamespace()
    {
        var plan = Plan(new HardeningOptions(), RootHost() with { SetprivPath = null, NoNewPrivileges = false, DropCapabilities = false });

        Assert.Null(plan.Failure);
        Assert.Equal([nameof(HardeningOptions.NoNewPrivileges), nameof(HardeningOptions.DropCapabilities)], plan.Degradations.Select(d => d.Measure));
        Assert.All(plan.Degradations, d => Assert.Contains("'setpriv' was not found", d.Reason, StringComparison.Ordinal));
        Assert.Equal([Unshare, "--net", "--"], plan.LaunchPrefix);
        Assert.False(plan.Expected.NoNewPrivileges);
        Assert.False(plan.Expected.NoCapabilities);
    }

    [Fact]
    public void Plan_EverythingOff_HasNoChainAndOnlyWorkerSideMeasures()
    {
        var options = new HardeningOptions { NetworkIsolation = HardeningRequirement.Off, NoNewPrivileges = false, DropCapabilities = false, DisableCoreDumps = false, MarkDescriptorsCloseOnExec = false, MaxOpenFiles = 4096 };
        var plan = Plan(options, RootHost());

        Assert.Empty(plan.LaunchPrefix);
        Assert.Empty(plan.Degradations);
        Assert.False(plan.MarkDescriptorsCloseOnExec);
        Assert.False(plan.WorkerRequest!.DisableCoreDumps);
        Assert.Equal(4096, plan.WorkerRequest.MaxOpenFiles);
        Assert.Equal(new HardeningExpectation { Linux = true, MaxOpenFiles = 4096, SupervisorNetworkNamespace = OwnNamespace }, plan.Expected);
    }

    [Fact]
    public void Plan_NetworkOffOnHostWithoutNamespaces_DoesNotWarn()
    {
        var plan = Plan(new HardeningOptions { NetworkIsolation = HardeningRequirement.Off }, UserHost() with { Network = NetworkNamespaceSupport.None, UnsharePath = null });

        Assert.Empty(plan.Degradations);
        Assert.Equal([Setpriv, "--no-new-privs", "--"], plan.LaunchPrefix);
    }

    [Fact]
    public void Plan_WorkerUserWithoutRoot_Fails()
    {
        var plan = Plan(new HardeningOptions { WorkerUser = "nobody" }, UserHost(), Nobody);

        Assert.NotNull(plan.Failure);
        Assert.Contains("needs a supervisor running as root", plan.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_WorkerUserUnresolved_FailsWithTheLookupProblem()
    {
        var plan = Plan(new HardeningOptions { WorkerUser = "no-such-user" }, RootHost(), null, "there is no such user");

        Assert.NotNull(plan.Failure);
        Assert.Contains("'no-such-user'", plan.Failure, StringComparison.Ordinal);
        Assert.Contains("there is no such user", plan.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_RootWithOnlyUserNamespacesAndWorkerUser_AutoGivesUpTheNamespace()
    {
        var probe = RootHost() with { Network = NetworkNamespaceSupport.UserNamespace, UserNamespaceDropCapabilities = true };
        var plan = Plan(new HardeningOptions { WorkerUser = "nobody" }, probe, Nobody);

        Assert.Null(plan.Failure);
        var degradation = Assert.Single(plan.Degradations);
        Assert.Equal(nameof(HardeningOptions.NetworkIsolation), degradation.Measure);
        Assert.Contains("cannot switch to WorkerUser", degradation.Reason, StringComparison.Ordinal);
        Assert.Equal([Setpriv, "--no-new-privs", "--bounding-set", "-all,+setuid,+setgid", "--inh-caps", "-all", "--"], plan.LaunchPrefix);
        Assert.False(plan.Expected.NetworkIsolated);
    }

    [Fact]
    public void Plan_RootWithOnlyUserNamespacesAndWorkerUser_RequiredFails()
    {
        var probe = RootHost() with { Network = NetworkNamespaceSupport.UserNamespace };
        var plan = Plan(new HardeningOptions { WorkerUser = "nobody", NetworkIsolation = HardeningRequirement.Required }, probe, Nobody);

        Assert.NotNull(plan.Failure);
        Assert.Contains("cannot switch to WorkerUser", plan.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_UnprivilegedWithoutUserNamespace_HasNoCapabilitiesToDropAndDoesNotWarn()
    {
        var plan = Plan(new HardeningOptions { NetworkIsolation = HardeningRequirement.Off }, UserHost());

        Assert.Empty(plan.Degradations);
        Assert.Equal([Setpriv, "--no-new-privs", "--"], plan.LaunchPrefix);
        Assert.False(plan.Expected.NoCapabilities);
    }

    [Theory]
    [InlineData(HardeningRequirement.Auto, false)]
    [InlineData(HardeningRequirement.Required, true)]
    [InlineData(HardeningRequirement.Off, false)]
    public void Plan_NotLinux_AppliesOnlyTheWorkerSideAndExpectsNothing(HardeningRequirement network, bool fails)
    {
        var probe = new HardeningProbe(false, false, null, null, false, false, NetworkNamespaceSupport.None, false, []);
        var plan = Plan(new HardeningOptions { NetworkIsolation = network }, probe);

        Assert.Equal(fails, plan.Failure is not null);
        Assert.Equal(network == HardeningRequirement.Auto ? 1 : 0, plan.Degradations.Count);
        Assert.Empty(plan.LaunchPrefix);
        Assert.False(plan.MarkDescriptorsCloseOnExec);
        Assert.Same(HardeningExpectation.None, plan.Expected);
        Assert.True(plan.WorkerRequest!.DisableCoreDumps);
        Assert.Equal(0, plan.WorkerRequest.MaxOpenFiles);
    }

    [Fact]
    public void Plan_NotLinuxWithWorkerUser_Fails()
    {
        var probe = new HardeningProbe(false, true, null, null, false, false, NetworkNamespaceSupport.None, false, []);
        var plan = Plan(new HardeningOptions { WorkerUser = "nobody", NetworkIsolation = HardeningRequirement.Off }, probe);

        Assert.NotNull(plan.Failure);
        Assert.Contains("only supported on Linux", plan.Failure, StringComparison.Ordinal);
    }
}

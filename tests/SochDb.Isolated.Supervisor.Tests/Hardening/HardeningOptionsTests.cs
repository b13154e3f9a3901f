using SochDb.Isolated.Supervisor.Isolation;

namespace SochDb.Isolated.Supervisor.Tests.Hardening;

public sealed class HardeningOptionsTests
{
    [Fact]
    public void Defaults_AreTheSafeChoices()
    {
        var options = new HardeningOptions();

        Assert.Equal(HardeningRequirement.Auto, options.NetworkIsolation);
        Assert.True(options.NoNewPrivileges);
        Assert.True(options.DropCapabilities);
        Assert.Equal(256, options.MaxOpenFiles);
        Assert.True(options.DisableCoreDumps);
        Assert.Null(options.WorkerUser);
        Assert.True(options.MarkDescriptorsCloseOnExec);
        options.Validate();
    }

    [Theory]
    [InlineData(191)]
    [InlineData(64)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65_537)]
    public void Validate_MaxOpenFilesOutOfRange_Throws(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new HardeningOptions { MaxOpenFiles = value }.Validate());
        Assert.Equal(nameof(HardeningOptions.MaxOpenFiles), ex.ParamName);
    }

    [Theory]
    [InlineData(192)]
    [InlineData(65_536)]
    public void Validate_MaxOpenFilesAtBounds_Passes(int value)
    {
        new HardeningOptions { MaxOpenFiles = value }.Validate();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void Validate_UnknownNetworkIsolation_Throws(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new HardeningOptions { NetworkIsolation = (HardeningRequirement)value }.Validate());
        Assert.Equal(nameof(HardeningOptions.NetworkIsolation), ex.ParamName);
    }

    [Theory]
    [InlineData("", "user name")]
    [InlineData("root", "root")]
    [InlineData("0:0", "root")]
    [InlineData("1000:0", "root")]
    [InlineData("0:1000", "root")]
    [InlineData("-nobody", "user name")]
    [InlineData("1nobody", "user name")]
    [InlineData("no body", "user name")]
    [InlineData("nobody\n", "user name")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "user name")]
    [InlineData("1000", "user name")]
    [InlineData("1000:", "uid:gid")]
    [InlineData(":1000", "uid:gid")]
    [InlineData("x:y", "uid:gid")]
    [InlineData("-1:1000", "uid:gid")]
    [InlineData("4294967295:1000", "uid:gid")]
    [InlineData("1000:1000:1000", "uid:gid")]
    public void Validate_MalformedWorkerUser_ThrowsNamingTheRule(string value, string mentions)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new HardeningOptions { WorkerUser = value }.Validate());
        Assert.Equal(nameof(HardeningOptions.WorkerUser), ex.ParamName);
        Assert.Contains(mentions, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nobody", "nobody", 0u, 0u)]
    [InlineData("sochdb-worker", "sochdb-worker", 0u, 0u)]
    [InlineData("svc_plugins.1", "svc_plugins.1", 0u, 0u)]
    [InlineData("65534:65534", null, 65534u, 65534u)]
    [InlineData("1000:2000", null, 1000u, 2000u)]
    public void TryParseWorkerUser_WellFormed_ReturnsNameOrIds(string value, string? expectedName, uint uid, uint gid)
    {
        Assert.True(HardeningOptions.TryParseWorkerUser(value, out var name, out var ids, out var problem), problem);
        Assert.Equal(expectedName, name);
        Assert.Equal(expectedName is null ? (uid, gid) : null, ids);
    }

    [Fact]
    public void Validate_WellFormedWorkerUser_PassesOnLinux()
    {
        var options = new HardeningOptions { WorkerUser = "nobody" };
        if (OperatingSystem.IsLinux())
        {
            options.Validate();
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        }
    }

    [Fact]
    public void SupervisorOptionsValidate_ChecksHardening()
    {
        var options = new PluginSupervisorOptions();
        options.Hardening.MaxOpenFiles = 1;
        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(HardeningOptions.MaxOpenFiles), ex.ParamName);

        options.Hardening = null!;
        Assert.Throws<ArgumentNullException>(options.Validate);
    }
}

using SochDb.Isolated.Supervisor.DependencyInjection;

namespace SochDb.Isolated.Supervisor.Tests.DependencyInjection;

public sealed class IsolatedPluginsOptionsValidatorTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("sochdb-validator-");

    public IsolatedPluginsOptionsValidatorTests()
    {
        File.WriteAllText(Path.Combine(root.FullName, "a.toml"), string.Empty);
        File.WriteAllText(Path.Combine(root.FullName, "b.toml"), string.Empty);
    }

    public void Dispose() => root.Delete(recursive: true);

    [Fact]
    public void Defaults_AreValid()
    {
        var result = Validate(new IsolatedPluginsOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void ValidDeclarations_Succeed()
    {
        var options = new IsolatedPluginsOptions();
        options.Plugins.Add(new PluginDeclaration { Id = "a", Manifest = "a.toml" });
        options.Plugins.Add(new PluginDeclaration { Id = "b-2.x_y", Manifest = Path.Combine(root.FullName, "b.toml"), Wasm = "a.toml" });

        var result = Validate(options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("MaxSandboxes", "SochDbIsolated:MaxSandboxes:")]
    [InlineData("RestartPolicy.MaxFailures", "SochDbIsolated:RestartPolicy:MaxFailures:")]
    [InlineData("Isolation.CpuCoresPerWorker", "SochDbIsolated:Isolation:CpuCoresPerWorker:")]
    [InlineData("Hardening.MaxOpenFiles", "SochDbIsolated:Hardening:MaxOpenFiles:")]
    [InlineData("Audit.MaxFiles", "SochDbIsolated:Audit:MaxFiles:")]
    [InlineData("Health.CrashThreshold", "SochDbIsolated:Health:CrashThreshold:")]
    [InlineData("Health.CrashWindow", "SochDbIsolated:Health:CrashWindow:")]
    [InlineData("MaxConcurrentLoads", "SochDbIsolated:MaxConcurrentLoads is 0")]
    public void OutOfRange_FailsNamingTheKey(string option, string expected)
    {
        var options = new IsolatedPluginsOptions();
        Action<IsolatedPluginsOptions> set = option switch
        {
            "MaxSandboxes" => o => o.Supervisor.MaxSandboxes = 0,
            "RestartPolicy.MaxFailures" => o => o.Supervisor.RestartPolicy.MaxFailures = 0,
            "Isolation.CpuCoresPerWorker" => o => o.Supervisor.Isolation.CpuCoresPerWorker = 0,
            "Hardening.MaxOpenFiles" => o => o.Supervisor.Hardening.MaxOpenFiles = 1,
            "Audit.MaxFiles" => o => o.Supervisor.Audit.MaxFiles = 0,
            "Health.CrashThreshold" => o => o.Health.CrashThreshold = 0,
            "Health.CrashWindow" => o => o.Health.CrashWindow = TimeSpan.FromHours(2),
            _ => o => o.MaxConcurrentLoads = 0,
        };
        set(options);

        var result = Validate(options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public void BadDeclarations_EachFailureNamesItsKey()
    {
        var options = new IsolatedPluginsOptions();
        options.Plugins.Add(new PluginDeclaration { Id = "bad id", Manifest = "a.toml" });
        options.Plugins.Add(new PluginDeclaration { Id = "ok", Manifest = "missing.toml" });
        options.Plugins.Add(new PluginDeclaration { Id = "ok2", Manifest = string.Empty });
        options.Plugins.Add(new PluginDeclaration { Id = "ok3", Manifest = "a.toml", Wasm = "missing.wasm" });
        options.Plugins.Add(new PluginDeclaration { Id = "twice", Manifest = "a.toml" });
        options.Plugins.Add(new PluginDeclaration { Id = "twice", Manifest = "b.toml" });
        options.Plugins.Add(new PluginDeclaration { Id = new string('x', 129), Manifest = "a.toml" });

        var failures = Validate(options).Failures!.ToArray();

        Assert.Contains(failures, f => f.StartsWith("SochDbIsolated:Plugins:0:Id: 'bad id' is not a valid plugin id", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SochDbIsolated:Plugins:1:Manifest: file not found: " + Path.Combine(root.FullName, "missing.toml"), StringComparison.Ordinal));
        Assert.Contains(failures, f => f == "SochDbIsolated:Plugins:2:Manifest is required.");
        Assert.Contains(failures, f => f.StartsWith("SochDbIsolated:Plugins:3:Wasm: file not found", StringComparison.Ordinal));
        Assert.Contains(failures, f => f == "Plugin id 'twice' is declared more than once: SochDbIsolated:Plugins:4, SochDbIsolated:Plugins:5.");
        Assert.Contains(failures, f => f.StartsWith("SochDbIsolated:Plugins:6:Id:", StringComparison.Ordinal));
        Assert.Equal(6, failures.Length);
    }

    [Fact]
    public void PluginsDirectory_FilesAndFolders_BecomePluginsInIdOrder()
    {
        var plugins = Directory.CreateDirectory(Path.Combine(root.FullName, "plugins"));
        File.WriteAllText(Path.Combine(plugins.FullName, "zeta.toml"), string.Empty);
        File.WriteAllText(Path.Combine(plugins.FullName, "notes.txt"), string.Empty);
        var folder = Directory.CreateDirectory(Path.Combine(plugins.FullName, "alpha"));
        File.WriteAllText(Path.Combine(folder.FullName, "plugin.toml"), string.Empty);
        Directory.CreateDirectory(Path.Combine(plugins.FullName, "empty"));
        var options = new IsolatedPluginsOptions { PluginsDirectory = "plugins" };
        options.Plugins.Add(new PluginDeclaration { Id = "first", Manifest = "a.toml" });

        var (resolved, errors) = PluginCatalog.Resolve(options, root.FullName);

        Assert.Empty(errors);
        Assert.Equal(["first", "alpha", "zeta"], resolved.Select(p => p.Id));
        Assert.Equal(Path.Combine(folder.FullName, "plugin.toml"), resolved[1].ManifestPath);
    }

    [Fact]
    public void PluginsDirectory_Problems_Fail()
    {
        var plugins = Directory.CreateDirectory(Path.Combine(root.FullName, "plugins"));
        File.WriteAllText(Path.Combine(plugins.FullName, "a b.toml"), string.Empty);
        File.WriteAllText(Path.Combine(plugins.FullName, "dup.toml"), string.Empty);
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(plugins.FullName, "dup")).FullName, "plugin.toml"), string.Empty);

        var failures = Validate(new IsolatedPluginsOptions { PluginsDirectory = "plugins" }).Failures!.ToArray();
        var missing = Validate(new IsolatedPluginsOptions { PluginsDirectory = "nowhere" }).Failures!.ToArray();

        Assert.Contains(failures, f => f.Contains("would load as 'a b', which is not a valid plugin id", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Plugin id 'dup' is declared more than once", StringComparison.Ordinal));
        Assert.Equal("SochDbIsolated:PluginsDirectory: folder not found: " + Path.Combine(root.FullName, "nowhere"), Assert.Single(missing));
    }

    [Fact]
    public void MoreDeclaredPluginsThanMaxSandboxes_Fails()
    {
        var options = new IsolatedPluginsOptions { Supervisor = { MaxSandboxes = 1 } };
        options.Plugins.Add(new PluginDeclaration { Id = "a", Manifest = "a.toml" });
        options.Plugins.Add(new PluginDeclaration { Id = "b", Manifest = "b.toml" });

        var failure = Assert.Single(Validate(options).Failures!);

        Assert.Equal("SochDbIsolated:MaxSandboxes is 1, fewer than the 2 declared plugins.", failure);
    }

    [Fact]
    public void UnknownKeys_Fail()
    {
        var options = new IsolatedPluginsOptions();
        options.UnknownConfigurationKeys.Add("SochDbIsolated:MaxSandbox");

        Assert.Equal("SochDbIsolated:MaxSandbox: unknown option (misspelt?).", Assert.Single(Validate(options).Failures!));
    }

    private Microsoft.Extensions.Options.ValidateOptionsResult Validate(IsolatedPluginsOptions options)
        => new IsolatedPluginsOptionsValidator(new Environment(root.FullName)).Validate(null, options);

    private sealed class Environment(string contentRoot) : Microsoft.Extensions.Hosting.IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";

        public string ApplicationName { get; set; } = "Test";

        public string ContentRootPath { get; set; } = contentRoot;

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}

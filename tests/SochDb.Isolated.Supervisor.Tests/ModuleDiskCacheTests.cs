using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Supervisor.Tests.Store;
using SochDb.Isolated.Tests;
using SochDb.Isolated.Worker.Wasm;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class ModuleDiskCacheTests : IDisposable
{
    private const string PluginId = "test-plugin";
    private const long OneGiB = 1L << 30;

    private static readonly string SettingsHash = new EngineSettings().ComputeHash();

    private readonly TempDirectory temp = new();
    private readonly List<ModuleCompiler> compilers = [];

    private string CacheDirectory => Path.Combine(temp.Path, "module-cache");

    public void Dispose()
    {
        compilers.ForEach(c => c.Dispose());
        temp.Dispose();
    }

    [Fact]
    public void Compile_SecondCompilerOverSameDirectory_IsDiskHitWithoutCompiling()
    {
        var wasm = Fixtures.Wasm("basic");
        var first = NewCompiler();
        var compiled = first.Compile(PluginId, wasm);
        Assert.Equal((0, 1, 0), (first.Hits, first.Misses, first.DiskHits));

        // A new compiler has its own engine and an empty memory cache: a supervisor restart.
        var second = NewCompiler();
        var loaded = second.Compile(PluginId, wasm);

        Assert.Equal((1, 0, 1), (second.Hits, second.Misses, second.DiskHits));
        Assert.Equal(compiled.Sha256, loaded.Sha256);
        Assert.Equal(compiled.Artifact, loaded.Artifact);
        Assert.Equal(compiled.HasMemory, loaded.HasMemory);
        Assert.Equal(compiled.Functions.Keys.Order(), loaded.Functions.Keys.Order());
        Assert.Equal(compiled.Functions["pair"].Results, loaded.Functions["pair"].Results);

        // The second load of the same compiler is served from memory, not from disk again.
        second.Compile(PluginId, wasm);
        Assert.Equal((2, 0, 1), (second.Hits, second.Misses, second.DiskHits));
    }

    [Fact]
    public void Compile_DiskHit_ArtifactStillInstantiates()
    {
        var wasm = Fixtures.Wasm("basic");
        NewCompiler().Compile(PluginId, wasm);

        var loaded = NewCompiler().Compile(PluginId, wasm);

        // What a worker does with the bytes: an engine configured like the supervisor's accepts them.
        using var engine = EngineFactory.Create(new EngineSettings());
        using var module = Wasmtime.Module.Deserialize(engine, PluginId, loaded.Artifact);
        Assert.Contains(module.Exports, e => e.Name == "add");
    }

    public static TheoryData<string> Corruptions => ["flip-first-artifact-byte", "flip-last-byte", "flip-header-byte", "truncate-half", "truncate-header", "empty", "append"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Compile_CorruptArtifact_IsDetectedRecompiledAndReplaced(string corruption)
    {
        var wasm = Fixtures.Wasm("basic");
        var sha = Sha(wasm);
        var original = NewCompiler().Compile(PluginId, wasm);
        var cache = OpenCache()!;
        var path = cache.PathFor(sha);
        var bytes = File.ReadAllBytes(path);
        var headerLength = bytes.Length - original.Artifact.Length;
        switch (corruption)
        {
            case "flip-first-artifact-byte": bytes[headerLength] ^= 0x01; break;
            case "flip-last-byte": bytes[^1] ^= 0x80; break;
            case "flip-header-byte": bytes[3] ^= 0x20; break;
            case "truncate-half": bytes = bytes[..(bytes.Length / 2)]; break;
            case "truncate-header": bytes = bytes[..(headerLength - 3)]; break;
            case "empty": bytes = []; break;
            case "append": bytes = [.. bytes, 0x00]; break;
        }

        File.WriteAllBytes(path, bytes);
        Assert.NotNull(cache.Verify(bytes, sha, out _));

        var compiler = NewCompiler();
        var recompiled = compiler.Compile(PluginId, wasm);

        Assert.Equal((0, 1, 0), (compiler.Hits, compiler.Misses, compiler.DiskHits));
        Assert.Equal(original.Artifact, recompiled.Artifact);
        Assert.Null(cache.Verify(File.ReadAllBytes(path), sha, out _));
        var next = NewCompiler();
        next.Compile(PluginId, wasm);
        Assert.Equal(1, next.DiskHits);
    }

    [Theory]
    [InlineData("wasmtime")]
    [InlineData("settings")]
    public void Compile_ForeignHeader_IsNeverUsed(string differs)
    {
        var wasm = Fixtures.Wasm("basic");
        var sha = Sha(wasm);
        var artifact = NewCompiler(disk: false).Compile(PluginId, wasm).Artifact;
        var ours = OpenCache()!;
        var foreign = differs == "wasmtime"
            ? ModuleDiskCache.Open(CacheDirectory, OneGiB, "0.0.1-other", SettingsHash, NullLogger.Instance)!
            : ModuleDiskCache.Open(CacheDirectory, OneGiB, EngineFactory.WasmtimeVersion, "other-settings", NullLogger.Instance)!;

        // A well-formed file whose hash is right, planted under our name: only the header's engine can give it away.
        foreign.Write(sha, artifact);
        File.Move(foreign.PathFor(sha), ours.PathFor(sha), overwrite: true);
        Assert.Contains(differs == "wasmtime" ? "Wasmtime" : "engine settings", ours.Verify(File.ReadAllBytes(ours.PathFor(sha)), sha, out _), StringComparison.Ordinal);

        var compiler = NewCompiler();
        compiler.Compile(PluginId, wasm);

        Assert.Equal((0, 1, 0), (compiler.Hits, compiler.Misses, compiler.DiskHits));
        Assert.Null(ours.Verify(File.ReadAllBytes(ours.PathFor(sha)), sha, out _));
    }

    [Fact]
    public void Compile_FileOfAnotherModule_IsNeverUsed()
    {
        var basic = Fixtures.Wasm("basic");
        var other = Fixtures.Wasm("other");
        NewCompiler().Compile(PluginId, other);
        var cache = OpenCache()!;
        File.Move(cache.PathFor(Sha(other)), cache.PathFor(Sha(basic)));

        var compiler = NewCompiler();
        var module = compiler.Compile(PluginId, basic);

        Assert.Equal((0, 1, 0), (compiler.Hits, compiler.Misses, compiler.DiskHits));
        Assert.Contains("add", module.Functions.Keys);
    }

    [Fact]
    public void Compile_HashRightButEngineRefuses_IsRejectedAndRecompiled()
    {
        var wasm = Fixtures.Wasm("basic");
        var sha = Sha(wasm);
        var cache = OpenCache()!;

        // Garbage that passes the integrity check (as a same-user bug could write): the engine's own check still stops it.
        cache.Write(sha, "not an artifact"u8);

        var compiler = NewCompiler();
        compiler.Compile(PluginId, wasm);

        Assert.Equal((0, 1, 0), (compiler.Hits, compiler.Misses, compiler.DiskHits));
        Assert.Null(cache.Verify(File.ReadAllBytes(cache.PathFor(sha)), sha, out var stored));
        Assert.True(stored.Length > 100);
    }

    [Fact]
    public void Open_CreatesOwnerOnlyDirectoryAndFiles()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var nested = Path.Combine(CacheDirectory, "nested");
        var cache = ModuleDiskCache.Open(nested, OneGiB, EngineFactory.WasmtimeVersion, SettingsHash, NullLogger.Instance);
        Assert.NotNull(cache);
        cache.Write(new string('a', 64), [1, 2, 3]);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(nested));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache.PathFor(new string('a', 64))));
    }

    [Fact]
    public void Open_ExistingDirectoryOthersMayEnter_IsNotUsed()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Directory.CreateDirectory(CacheDirectory);
        File.SetUnixFileMode(CacheDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        Assert.Null(OpenCache());

        // The supervisor still works, in memory only, and leaves the directory alone.
        var compiler = ModuleCompiler.Create(new PluginSupervisorOptions { ModuleCacheDirectory = CacheDirectory }, NullLogger.Instance);
        compilers.Add(compiler);
        compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        Assert.Empty(Directory.GetFiles(CacheDirectory));
        Assert.Equal(1, compiler.Misses);
    }

    [Fact]
    public void Write_PastTheBound_EvictsLeastRecentlyUsed()
    {
        var cache = ModuleDiskCache.Open(CacheDirectory, 2500, EngineFactory.WasmtimeVersion, SettingsHash, NullLogger.Instance)!;
        var (a, b, c) = (new string('a', 64), new string('b', 64), new string('c', 64));
        cache.Write(a, new byte[1000]);
        cache.Write(b, new byte[1000]);
        File.SetLastWriteTimeUtc(cache.PathFor(a), DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(cache.PathFor(b), DateTime.UtcNow.AddHours(-1));

        // Reading a makes it the most recently used, so b is the one to go.
        Assert.NotNull(cache.TryRead(a));
        cache.Write(c, new byte[1000]);

        Assert.True(File.Exists(cache.PathFor(a)));
        Assert.False(File.Exists(cache.PathFor(b)));
        Assert.True(File.Exists(cache.PathFor(c)));
        Assert.True(Directory.GetFiles(CacheDirectory).Sum(f => new FileInfo(f).Length) <= 2500);
    }

    [Fact]
    public void Open_RemovesOnlyStaleTemporaryFiles()
    {
        OpenCache();
        var stale = Path.Combine(CacheDirectory, ".x.1.tmp");
        var fresh = Path.Combine(CacheDirectory, ".x.2.tmp");
        File.WriteAllBytes(stale, [1]);
        File.WriteAllBytes(fresh, [1]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));

        OpenCache();

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Compile_ConcurrentLoadsOfOneModule_CompileOnce(bool disk)
    {
        const int loads = 8;
        var wasm = Fixtures.Wasm("basic");
        var compiler = NewCompiler(disk);
        using var start = new Barrier(loads);

        var modules = Enumerable.Range(0, loads)
            .Select(_ => Task.Factory.StartNew(() => { start.SignalAndWait(); return compiler.Compile(PluginId, wasm); }, TaskCreationOptions.LongRunning))
            .ToArray();
        var results = await Task.WhenAll(modules);

        Assert.Equal((loads - 1, 1, 0), (compiler.Hits, compiler.Misses, compiler.DiskHits));
        Assert.Single(results.Distinct());
    }

    [Fact]
    public void Options_DefaultDirectory_IsInsideDataDirectory()
    {
        Assert.Null(new PluginSupervisorOptions().EffectiveModuleCacheDirectory);
        Assert.Equal(Path.Combine("data", "module-cache"), new PluginSupervisorOptions { DataDirectory = "data" }.EffectiveModuleCacheDirectory);
        Assert.Equal("elsewhere", new PluginSupervisorOptions { DataDirectory = "data", ModuleCacheDirectory = "elsewhere" }.EffectiveModuleCacheDirectory);
        Assert.Equal(1L << 30, new PluginSupervisorOptions().ModuleCacheMaxBytes);
    }

    private static string Sha(byte[] wasm) => Convert.ToHexStringLower(SHA256.HashData(wasm));

    private ModuleDiskCache? OpenCache() => ModuleDiskCache.Open(CacheDirectory, OneGiB, EngineFactory.WasmtimeVersion, SettingsHash, NullLogger.Instance);

    private ModuleCompiler NewCompiler(bool disk = true)
    {
        var compiler = new ModuleCompiler(new EngineSettings(), 8, disk ? OpenCache() : null);
        compilers.Add(compiler);
        return compiler;
    }
}

using System.Security.Cryptography;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests;

public sealed class ModuleCompilerTests : IDisposable
{
    private const string PluginId = "test-plugin";

    private const string MinimalManifest = """
        [plugin]
        name = "basic"
        version = "1.0.0"
        """;

    private readonly ModuleCompiler compiler = new(new EngineSettings(), 8);

    public void Dispose() => compiler.Dispose();

    [Fact]
    public void Compile_Basic_DescribesExportsAndMemory()
    {
        var wasm = Fixtures.Wasm("basic");

        var module = compiler.Compile(PluginId, wasm);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(wasm)), module.Sha256);
        Assert.NotEmpty(module.Artifact);
        Assert.True(module.HasMemory);
        Assert.Equal([PluginValueType.I32, PluginValueType.I32], module.Functions["add"].Params);
        Assert.Equal([PluginValueType.I32], module.Functions["add"].Results);
        Assert.Equal([PluginValueType.I32], module.Functions["pair"].Params);
        Assert.Equal([PluginValueType.I32, PluginValueType.I64], module.Functions["pair"].Results);
        Assert.Equal([PluginValueType.F32, PluginValueType.F32], module.Functions["mulf32"].Params);
        Assert.Equal([PluginValueType.F64], module.Functions["mulf64"].Results);
        Assert.Empty(module.Functions["nothing"].Params);
        Assert.Empty(module.Functions["nothing"].Results);
        Assert.Contains(ProtocolConstants.AllocExport, module.Functions.Keys);
        Assert.DoesNotContain(ProtocolConstants.MemoryExport, module.Functions.Keys);
    }

    [Fact]
    public void Compile_ModuleWithoutMemory_HasMemoryIsFalse()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (func (export "f") (result i32) i32.const 1))"""));

        Assert.False(module.HasMemory);
        Assert.Single(module.Functions);
    }

    [Fact]
    public void Compile_MemoryExportedUnderAnotherName_HasMemoryIsFalse()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (memory (export "mem") 1))"""));

        Assert.False(module.HasMemory);
    }

    [Fact]
    public void Compile_UnsupportedValueType_IsReportedAsNull()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (func (export "r") (param externref) (result i32) i32.const 0))"""));

        Assert.Equal([null], module.Functions["r"].Params);
        Assert.Equal([PluginValueType.I32], module.Functions["r"].Results);
    }

    [Fact]
    public void Compile_NotWasm_ThrowsInvalidWasmWithWasmtimeReason()
    {
        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, "this is not a wasm module"u8));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        Assert.StartsWith("invalid WASM: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("magic header", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.IsAssignableFrom<Wasmtime.WasmtimeException>(ex.InnerException);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Compile_TruncatedModule_ThrowsInvalidWasm()
    {
        var wasm = Fixtures.Wasm("basic");

        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, wasm.AsSpan(0, wasm.Length / 2)));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.True(ex.Message.Length > "invalid WASM: ".Length, ex.Message);
    }

    [Fact]
    public void Compile_ImportOutsideHostAbi_ThrowsInvalidWasmNamingTheImport()
    {
        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Fixtures.Wasm("bad_import")));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("'env.system'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside the host ABI", ex.Message, StringComparison.Ordinal);
        Assert.Contains("sochdb.log", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_UnknownFunctionFromHostModule_ThrowsInvalidWasm()
    {
        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Wasm("""(module (import "sochdb" "exec" (func)))""")));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("'sochdb.exec'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_HostImportWithWrongType_ThrowsInvalidWasmNamingBothTypes()
    {
        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Fixtures.Wasm("bad_import_type")));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("'sochdb.log'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(i64) -> ()", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(i32, i32, i32) -> ()", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_HostImportWithExtraResult_ThrowsInvalidWasm()
    {
        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Wasm("""(module (import "sochdb" "log" (func (param i32 i32 i32) (result i32))))""")));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("(i32, i32, i32) -> (i32)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_NonFunctionImport_ThrowsInvalidWasm()
    {
        var ex = Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Wasm("""(module (import "sochdb" "memory" (memory 1)))""")));

        Assert.Equal(ErrorKind.InvalidWasm, ex.Kind);
        Assert.Contains("'sochdb.memory' is not a function", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_SameBytesTwice_OneMissThenOneHit()
    {
        var wasm = Fixtures.Wasm("basic");

        var first = compiler.Compile(PluginId, wasm);
        Assert.Equal(1, compiler.Misses);
        Assert.Equal(0, compiler.Hits);
        var second = compiler.Compile("another-plugin", wasm);

        Assert.Equal(1, compiler.Misses);
        Assert.Equal(1, compiler.Hits);
        Assert.Same(first, second);
    }

    [Fact]
    public void Compile_DifferentBytes_AreCompiledSeparately()
    {
        var basic = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var other = compiler.Compile(PluginId, Fixtures.Wasm("other"));

        Assert.Equal(2, compiler.Misses);
        Assert.Equal(0, compiler.Hits);
        Assert.NotEqual(basic.Sha256, other.Sha256);
        Assert.Contains("version", other.Functions.Keys);
        Assert.DoesNotContain("version", basic.Functions.Keys);
    }

    [Fact]
    public void Compile_InvalidBytesTwice_IsNotCached()
    {
        Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Fixtures.Wasm("bad_import")));
        Assert.Throws<PluginException>(() => compiler.Compile(PluginId, Fixtures.Wasm("bad_import")));

        Assert.Equal(2, compiler.Misses);
        Assert.Equal(0, compiler.Hits);
    }

    [Fact]
    public void Compile_CapacityOne_EvictsTheOlderModule()
    {
        using var small = new ModuleCompiler(new EngineSettings(), 1);
        var a = Fixtures.Wasm("basic");
        var b = Fixtures.Wasm("other");

        small.Compile(PluginId, a);
        small.Compile(PluginId, b);
        small.Compile(PluginId, a);

        Assert.Equal(3, small.Misses);
        Assert.Equal(0, small.Hits);
    }

    [Fact]
    public void Compile_CapacityTwo_KeepsBothModules()
    {
        using var roomy = new ModuleCompiler(new EngineSettings(), 2);
        var a = Fixtures.Wasm("basic");
        var b = Fixtures.Wasm("other");

        roomy.Compile(PluginId, a);
        roomy.Compile(PluginId, b);
        roomy.Compile(PluginId, a);
        roomy.Compile(PluginId, b);

        Assert.Equal(2, roomy.Misses);
        Assert.Equal(2, roomy.Hits);
    }

    [Fact]
    public void Compile_CapacityZero_StillCachesOne()
    {
        using var tiny = new ModuleCompiler(new EngineSettings(), 0);
        var a = Fixtures.Wasm("basic");

        tiny.Compile(PluginId, a);
        tiny.Compile(PluginId, a);

        Assert.Equal(1, tiny.Misses);
        Assert.Equal(1, tiny.Hits);
    }

    [Fact]
    public void Constructor_Settings_ExposesTheirHash()
    {
        var settings = new EngineSettings { MaxWasmStackBytes = 256 * 1024 };
        using var custom = new ModuleCompiler(settings, 1);

        Assert.Same(settings, custom.Settings);
        Assert.Equal(settings.ComputeHash(), custom.SettingsHash);
        Assert.NotEqual(compiler.SettingsHash, custom.SettingsHash);
    }

    [Fact]
    public void CheckManifest_MatchingManifest_Passes()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var manifest = Manifest("""
            [exports]
            functions = ["add", "add64", "mulf64", "echo", "upper", "len", "nothing"]

            [exports.signatures.add]
            params = ["i32", "i32"]
            returns = ["i32"]

            [exports.signatures.add64]
            params = ["i64", "i64"]
            returns = ["i64"]

            [exports.signatures.mulf64]
            params = ["f64", "f64"]
            returns = ["f64"]

            [exports.signatures.echo]
            params = ["bytes"]
            returns = ["bytes"]

            [exports.signatures.upper]
            params = ["string"]
            returns = ["string"]

            [exports.signatures.len]
            params = ["bytes"]
            returns = ["i32"]

            [exports.signatures.nothing]
            """);

        ModuleCompiler.CheckManifest(PluginId, manifest, module);
    }

    [Fact]
    public void CheckManifest_MissingExport_ThrowsNamingIt()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var manifest = Manifest("""
            [exports]
            functions = ["add", "does_not_exist", "nor_this"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        Assert.Equal(ErrorKind.InvalidManifest, ex.Kind);
        Assert.Equal(PluginId, ex.PluginId);
        var diagnostic = Assert.Single(ex.Diagnostics);
        Assert.Contains("does_not_exist, nor_this", diagnostic.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("add", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("does_not_exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_SignatureTypesDoNotMatch_ThrowsDescribingBothTypes()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var manifest = Manifest("""
            [exports]
            functions = ["add"]

            [exports.signatures.add]
            params = ["i64", "i64"]
            returns = ["i32"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        var diagnostic = Assert.Single(ex.Diagnostics);
        Assert.Contains("signature of 'add'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("needs wasm type (i64, i64) -> (i32)", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("the module exports (i32, i32) -> (i32)", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_BytesParamsOnNumericExport_Throws()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var manifest = Manifest("""
            [exports]
            functions = ["add"]

            [exports.signatures.add]
            params = ["bytes"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        var diagnostic = Assert.Single(ex.Diagnostics);
        Assert.Contains("signature of 'add'", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains("needs wasm type (i32, i32) -> ()", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_BytesResultOnI32Export_Throws()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var manifest = Manifest("""
            [exports]
            functions = ["add"]

            [exports.signatures.add]
            params = ["i32", "i32"]
            returns = ["bytes"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        Assert.Contains("needs wasm type (i32, i32) -> (i64)", Assert.Single(ex.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_UnsupportedExportType_RendersUnsupported()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (func (export "r") (param externref) (result i32) i32.const 0))"""));
        var manifest = Manifest("""
            [exports]
            functions = ["r"]

            [exports.signatures.r]
            params = ["i32"]
            returns = ["i32"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        Assert.Contains("the module exports (unsupported) -> (i32)", Assert.Single(ex.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_BytesParamWithoutAlloc_ThrowsNamingSochAlloc()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("other"));
        Assert.True(module.HasMemory);
        Assert.DoesNotContain(ProtocolConstants.AllocExport, module.Functions.Keys);
        var manifest = Manifest("""
            [exports]
            functions = ["add"]

            [exports.signatures.add]
            params = ["bytes"]
            returns = ["i32"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        var diagnostic = Assert.Single(ex.Diagnostics);
        Assert.Contains("'add' takes bytes or strings", diagnostic.Message, StringComparison.Ordinal);
        Assert.Contains(ProtocolConstants.AllocExport, diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_StringParamWithoutAlloc_Throws()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("other"));
        var manifest = Manifest("""
            [exports]
            functions = ["add"]

            [exports.signatures.add]
            params = ["string"]
            returns = ["i32"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        Assert.Contains(ProtocolConstants.AllocExport, Assert.Single(ex.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_BytesResultWithoutAlloc_Passes()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (memory (export "memory") 1) (func (export "get") (result i64) i64.const 0))"""));
        var manifest = Manifest("""
            [exports]
            functions = ["get"]

            [exports.signatures.get]
            returns = ["bytes"]
            """);

        ModuleCompiler.CheckManifest(PluginId, manifest, module);
    }

    [Fact]
    public void CheckManifest_BytesResultWithoutMemory_ThrowsNamingMemory()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (func (export "get") (result i64) i64.const 0))"""));
        var manifest = Manifest("""
            [exports]
            functions = ["get"]

            [exports.signatures.get]
            returns = ["bytes"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        var diagnostic = Assert.Single(ex.Diagnostics);
        Assert.Contains($"export its memory as '{ProtocolConstants.MemoryExport}'", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckManifest_SeveralProblems_ReportsEveryOne()
    {
        var module = compiler.Compile(PluginId, Wasm("""(module (func (export "f") (param i32 i32) (result i32) i32.const 0))"""));
        var manifest = Manifest("""
            [exports]
            functions = ["f", "gone"]

            [exports.signatures.f]
            params = ["string"]
            returns = ["i64"]
            """);

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        Assert.Equal(4, ex.Diagnostics.Count);
        Assert.Contains(ex.Diagnostics, d => d.Message.Contains("gone", StringComparison.Ordinal));
        Assert.Contains(ex.Diagnostics, d => d.Message.Contains("signature of 'f'", StringComparison.Ordinal));
        Assert.Contains(ex.Diagnostics, d => d.Message.Contains(ProtocolConstants.AllocExport, StringComparison.Ordinal));
        Assert.Contains(ex.Diagnostics, d => d.Message.Contains("export its memory", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckManifest_SourcePath_NamesTheFileInDiagnostics()
    {
        var module = compiler.Compile(PluginId, Fixtures.Wasm("basic"));
        var path = Path.Combine(Path.GetTempPath(), "plugins", "plugin.toml");
        var manifest = ManifestParser.Parse(MinimalManifest + "\n[exports]\nfunctions = [\"missing\"]\n", path).Manifest!;

        var ex = Assert.Throws<InvalidManifestException>(() => ModuleCompiler.CheckManifest(PluginId, manifest, module));

        var diagnostic = Assert.Single(ex.Diagnostics);
        Assert.Equal(path, diagnostic.File);
        Assert.Equal(0, diagnostic.Line);
    }

    private static PluginManifest Manifest(string exports)
    {
        var result = ManifestParser.Parse(MinimalManifest + "\n" + exports);
        Assert.True(result.Manifest is not null, string.Join(Environment.NewLine, result.Diagnostics));
        return result.Manifest;
    }

    private static byte[] Wasm(string wat) => Wasmtime.Module.ConvertText(wat).ToArray();
}

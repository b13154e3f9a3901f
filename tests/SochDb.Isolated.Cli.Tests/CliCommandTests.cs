using System.Text.Json;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>The CLI's commands end to end: real process, real workers, exit codes and JSON output.</summary>
public sealed class CliCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("sochdb-cli-");

    public void Dispose() => dir.Delete(recursive: true);

    [Fact]
    public async Task Run_AddWithJson_PrintsResultsAndReceipt()
    {
        var manifest = WriteManifest();
        var (code, stdout, stderr) = await CliProcess.RunAsync("run", manifest, "--call", "add", "--arg", "i32:40", "--arg", "i32:2", "--json");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        var result = json.RootElement.GetProperty("results")[0];
        Assert.Equal("i32", result.GetProperty("type").GetString());
        Assert.Equal(42, result.GetProperty("value").GetInt32());
        Assert.True(json.RootElement.GetProperty("receipt").GetProperty("fuelConsumed").GetInt64() > 0);
    }

    [Fact]
    public async Task Run_StringArgument_PrintsTransformedText()
    {
        var manifest = WriteManifest("[exports]\nfunctions = [\"upper\"]\n[exports.signatures.upper]\nparams = [\"string\"]\nreturns = [\"string\"]");
        var (code, stdout, _) = await CliProcess.RunAsync("run", manifest, "--call", "upper", "--arg", "string:it's quiet", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("IT'S QUIET", json.RootElement.GetProperty("results")[0].GetProperty("value").GetString());
    }

    [Fact]
    public async Task Run_BytesFromFile_EchoesThem()
    {
        var manifest = WriteManifest("[exports]\nfunctions = [\"echo\"]\n[exports.signatures.echo]\nparams = [\"bytes\"]\nreturns = [\"bytes\"]");
        var file = Path.Combine(dir.FullName, "payload.bin");
        await File.WriteAllBytesAsync(file, [0, 1, 2, 250]);
        var (code, stdout, _) = await CliProcess.RunAsync("run", manifest, "--call", "echo", "--arg", "bytes:@" + file, "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(Convert.ToBase64String([0, 1, 2, 250]), json.RootElement.GetProperty("results")[0].GetProperty("value").GetString());
    }

    [Fact]
    public async Task Run_InfiniteLoop_ExitsWithTimeoutCode()
    {
        var manifest = WriteManifest(resources: "timeout_ms = 100\nfuel_limit = 1_000_000_000_000");
        var (code, stdout, _) = await CliProcess.RunAsync("run", manifest, "--call", "spin", "--json");
        Assert.Equal(ExitCodes.ForKind(Protocol.ErrorKind.Timeout), code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("Timeout", json.RootElement.GetProperty("error").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Run_MissingFunction_ExitsWithFunctionNotFoundOnStderr()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("run", WriteManifest(), "--call", "nope");
        Assert.Equal(ExitCodes.ForKind(Protocol.ErrorKind.FunctionNotFound), code);
        Assert.Contains("FunctionNotFound", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadArgument_ExitsWithUsage()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("run", WriteManifest(), "--call", "add", "--arg", "i33:1");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown type 'i33'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingManifest_ExitsWithInputNotFound()
    {
        var (code, _, _) = await CliProcess.RunAsync("run", Path.Combine(dir.FullName, "absent.toml"), "--call", "add");
        Assert.Equal(ExitCodes.InputNotFound, code);
    }

    [Fact]
    public async Task Inspect_ValidManifest_ListsExportsAndExitsZero()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("inspect", WriteManifest(), "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains(json.RootElement.GetProperty("exports").EnumerateArray(), e => e.GetProperty("name").GetString() == "add" && e.GetProperty("type").GetString() == "(i32, i32) -> (i32)");
        Assert.Contains(json.RootElement.GetProperty("imports").EnumerateArray(), i => i.GetProperty("name").GetString() == "log" && i.GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task Inspect_UnknownKey_ReportsFileLineColumnAndExitsFour()
    {
        var manifest = Path.Combine(dir.FullName, "typo.toml");
        await File.WriteAllTextAsync(manifest, "[plugin]\nname = \"x\"\nversion = \"1\"\n[resources]\n  timeout_msec = 5\n");
        var (code, stdout, _) = await CliProcess.RunAsync("inspect", manifest);
        Assert.Equal(ExitCodes.ValidationFailed, code);
        Assert.Contains($"{manifest}:5:3:", stdout, StringComparison.Ordinal);
        Assert.Contains("timeout_msec", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_ModuleWithForeignImport_NamesIt()
    {
        var (code, stdout, _) = await CliProcess.RunAsync("inspect", Fixtures.WatPath("bad_import"));
        Assert.Equal(ExitCodes.ValidationFailed, code);
        Assert.Contains("env.system", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_FromBuildOutput_TellsTheIsolationStoryAndExitsZero()
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync("demo");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("with Timeout", stdout, StringComparison.Ordinal);
        Assert.Contains("with MemoryLimitExceeded", stdout, StringComparison.Ordinal);
        Assert.Contains("replacement worker", stdout, StringComparison.Ordinal);
        Assert.Contains("1 worker crash(es)", stdout, StringComparison.Ordinal);
        Assert.Contains("status -1 (denied)", stdout, StringComparison.Ordinal);
        Assert.Contains("read(secrets) -> Denied", stdout, StringComparison.Ordinal);
        Assert.Contains("read(customers) -> Allowed", stdout, StringComparison.Ordinal);
        Assert.Contains("hook stored \"Ada Lovelace <a**@example.com>\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_InvalidOption_ExitsWithUsage()
    {
        var (code, _, stderr) = await CliProcess.RunAsync("run", WriteManifest(), "--call", "add", "--set", "SochDbIsolated:MaxSandboxes=0");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("MaxSandboxes", stderr, StringComparison.Ordinal);
    }

    private string WriteManifest(string extra = "", string resources = "timeout_ms = 1000")
    {
        var path = Path.Combine(dir.FullName, Guid.NewGuid().ToString("N") + ".toml");
        File.WriteAllText(path, $"[plugin]\nname = \"cli-test\"\nversion = \"1.0.0\"\nwasm = \"{Fixtures.WatPath("basic").Replace("\\", "\\\\", StringComparison.Ordinal)}\"\n\n[resources]\n{resources}\n\n{extra}\n");
        return path;
    }
}

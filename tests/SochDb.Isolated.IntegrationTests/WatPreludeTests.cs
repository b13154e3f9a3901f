using System.Text;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>sdk/wat/prelude.wat: a plugin built from the prelude loads, reads through the host API and frees its buffers.</summary>
public sealed class WatPreludeTests : SupervisorTestBase
{
    [Fact]
    public async Task Prelude_PluginUsingIt_ReadsRowsAndReusesTheHeap()
    {
        var prelude = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "sdk", "wat", "prelude.wat"));
        var wat = $$"""
            (module
            {{prelude}}
              (data (i32.const 16) "customers")
              (func (export "lookup") (param $row i64) (result i64)
                (call $soch_read (i32.const 16) (i32.const 9) (local.get $row))))
            """;
        var supervisor = CreateSupervisor();
        await supervisor.WriteRowAsync("customers", 1, Encoding.UTF8.GetBytes(new string('r', 40_000))).DefaultTimeout();
        var manifest = Manifest("[capabilities]\ncan_read_table = [\"customers\"]\n[exports]\nfunctions = [\"lookup\"]\n[exports.signatures.lookup]\nparams = [\"i64\"]\nreturns = [\"bytes\"]", resources: "memory_limit_mb = 1\ntimeout_ms = 10000");
        await supervisor.LoadAsync("p", Wasmtime.Module.ConvertText(wat).ToArray(), manifest).DefaultTimeout();

        // 40 KB per call in 1 MiB of memory: 100 calls only fit if soch_free really hands the heap back.
        for (var i = 0; i < 100; i++)
        {
            var result = await supervisor.InvokeAsync("p", "lookup", [PluginValue.I64(1)]).DefaultTimeout();
            Assert.Equal(40_000, result.Values[0].AsBytes()!.Value.Length);
        }

        Assert.True(supervisor.GetPluginStats("p").PeakMemoryBytes <= 3 * 65536);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SochDb.Isolated.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
    }
}

using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests;

/// <summary>Table hooks: before-hooks in load order can replace or refuse a row, after-hooks see the stored row, failures close.</summary>
public sealed class HookTests : SupervisorTestBase
{
    private const string Roomy = "timeout_ms = 10000\nfuel_limit = 10_000_000";
    private static readonly byte[] Hooks = Fixtures.Wasm("hooks");

    private static string HookManifest(string hooks, string extra = "") => $"""
        [capabilities]
        can_read_table = ["users", "items"]
        {extra}

        [exports]
        functions = ["upper_hook", "veto_hook", "crash_hook", "log_after", "put_user"]
        [exports.signatures.put_user]
        params = ["i64", "bytes"]
        returns = ["i32"]

        [hooks]
        {hooks}
        """;

    [Fact]
    public async Task BeforeInsert_ReplacesTheRow()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("masker", Hooks, Manifest(HookManifest("before_insert = [\"upper_hook\"]\ntables = [\"users\"]"), resources: Roomy)).DefaultTimeout();
        Assert.False(await supervisor.WriteRowAsync("users", 1, "alice"u8.ToArray()).DefaultTimeout());
        Assert.Equal("ALICE", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("users", 1))!));

        // Other tables are not watched.
        await supervisor.WriteRowAsync("orders", 1, "alice"u8.ToArray()).DefaultTimeout();
        Assert.Equal("alice", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("orders", 1))!));
    }

    [Fact]
    public async Task BeforeInsert_Negative_RejectsTheWrite()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("guard", Hooks, Manifest(HookManifest("before_insert = [\"veto_hook\"]"), resources: Roomy)).DefaultTimeout();
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.WriteRowAsync("users", 2, "Xbad"u8.ToArray())).DefaultTimeout();
        Assert.Equal(ErrorKind.WriteRejected, ex.Kind);
        Assert.Equal("guard", ex.PluginId);
        Assert.Null(await supervisor.ReadRowAsync("users", 2));
        await supervisor.WriteRowAsync("users", 3, "fine"u8.ToArray()).DefaultTimeout();
        Assert.NotNull(await supervisor.ReadRowAsync("users", 3));
    }

    [Fact]
    public async Task BeforeHooks_RunInLoadOrder_EachSeeingThePreviousRow()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("masker", Hooks, Manifest(HookManifest("before_insert = [\"upper_hook\"]"), resources: Roomy)).DefaultTimeout();
        await supervisor.LoadAsync("guard", Hooks, Manifest(HookManifest("before_insert = [\"veto_hook\"]"), resources: Roomy)).DefaultTimeout();

        // "xray" only starts with 'X' after the masker ran, so the guard's refusal proves it saw the masker's row.
        var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.WriteRowAsync("users", 4, "xray"u8.ToArray())).DefaultTimeout();
        Assert.Equal("guard", ex.PluginId);
    }

    [Fact]
    public async Task UpdateAndDeleteHooks_FireOnTheirEventsOnly()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("guard", Hooks, Manifest(HookManifest("before_update = [\"veto_hook\"]\nbefore_delete = [\"veto_hook\"]"), resources: Roomy)).DefaultTimeout();
        await supervisor.WriteRowAsync("users", 5, "Xinsert is not an update"u8.ToArray()).DefaultTimeout();
        var update = await Assert.ThrowsAsync<PluginException>(() => supervisor.WriteRowAsync("users", 5, "Xupdate"u8.ToArray())).DefaultTimeout();
        Assert.Equal(ErrorKind.WriteRejected, update.Kind);
        var delete = await Assert.ThrowsAsync<PluginException>(() => supervisor.DeleteRowAsync("users", 5)).DefaultTimeout();
        Assert.Equal(ErrorKind.WriteRejected, delete.Kind);
        Assert.Equal("Xinsert is not an update", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("users", 5))!));
    }

    [Theory]
    [InlineData("closed", false)]
    [InlineData("open", true)]
    public async Task CrashingHook_FailsClosedUnlessTheManifestSaysOpen(string failure, bool applied)
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("broken", Hooks, Manifest(HookManifest($"before_insert = [\"crash_hook\"]\nfailure = \"{failure}\""), resources: Roomy)).DefaultTimeout();
        if (applied)
        {
            await supervisor.WriteRowAsync("users", 6, "row"u8.ToArray()).DefaultTimeout();
        }
        else
        {
            var ex = await Assert.ThrowsAsync<PluginException>(() => supervisor.WriteRowAsync("users", 6, "row"u8.ToArray())).DefaultTimeout();
            Assert.Contains("Trap", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(applied, await supervisor.ReadRowAsync("users", 6) is not null);
    }

    [Fact]
    public async Task AfterInsert_SeesTheStoredRowAndMayWriteElsewhere()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("masker", Hooks, Manifest(HookManifest("before_insert = [\"upper_hook\"]"), resources: Roomy)).DefaultTimeout();
        await supervisor.LoadAsync("logger", Hooks, Manifest(HookManifest("after_insert = [\"log_after\"]", "can_write_table = [\"hook_log\"]"), resources: Roomy)).DefaultTimeout();
        await supervisor.WriteRowAsync("users", 7, "grace"u8.ToArray()).DefaultTimeout();
        Assert.Equal("GRACE", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("hook_log", 7))!));
        Assert.Contains(supervisor.QueryAudit("logger"), r => r.Function == "write" && r.Target == "hook_log" && r.Status == 0);
    }

    [Fact]
    public async Task PluginWrites_FireOtherPluginsHooksButNotTheirOwn()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("self", Hooks, Manifest(HookManifest("before_insert = [\"upper_hook\"]", "can_write_table = [\"users\"]"), resources: Roomy)).DefaultTimeout();
        var own = await supervisor.InvokeAsync("self", "put_user", [PluginValue.I64(8), PluginValue.Bytes("quiet"u8)]).DefaultTimeout();
        Assert.Equal(0, own.Values[0].AsI32());
        Assert.Equal("quiet", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("users", 8))!));

        await supervisor.LoadAsync("other", Hooks, Manifest(HookManifest("before_insert = [\"upper_hook\"]"), resources: Roomy)).DefaultTimeout();
        await supervisor.InvokeAsync("self", "put_user", [PluginValue.I64(9), PluginValue.Bytes("loud"u8)]).DefaultTimeout();
        Assert.Equal("LOUD", Encoding.UTF8.GetString((await supervisor.ReadRowAsync("users", 9))!));
    }

    [Fact]
    public async Task PluginWriteVetoedByAnotherPluginsHook_ReturnsTheHooksStatus()
    {
        var supervisor = CreateSupervisor();
        await supervisor.LoadAsync("writer", Hooks, Manifest(HookManifest(string.Empty, "can_write_table = [\"users\"]"), resources: Roomy)).DefaultTimeout();
        await supervisor.LoadAsync("guard", Hooks, Manifest(HookManifest("before_insert = [\"veto_hook\"]"), resources: Roomy)).DefaultTimeout();
        var result = await supervisor.InvokeAsync("writer", "put_user", [PluginValue.I64(10), PluginValue.Bytes("Xno"u8)]).DefaultTimeout();
        Assert.Equal(HostStatus.Denied, result.Values[0].AsI32());
        Assert.Null(await supervisor.ReadRowAsync("users", 10));
    }

    [Fact]
    public async Task Load_HookWithWrongWasmType_IsInvalidManifest()
    {
        var supervisor = CreateSupervisor();
        var manifest = Manifest("[exports]\nfunctions = [\"add\"]\n[hooks]\nbefore_insert = [\"add\"]", resources: Roomy);
        var ex = await Assert.ThrowsAsync<InvalidManifestException>(() => supervisor.LoadAsync("bad", Fixtures.Wasm("basic"), manifest)).DefaultTimeout();
        Assert.Contains("hook 'add' must have wasm type", ex.Message, StringComparison.Ordinal);
    }
}

using System.Text;
using System.Text.Json.Nodes;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>The server over in-memory streams: framing, JSON-RPC validation, errors, notifications and life cycle.</summary>
public sealed class ServeServerTests : IAsyncLifetime
{
    private InMemoryServe serve = null!;

    private JsonRpcTestClient Client => serve.Client;

    public Task InitializeAsync()
    {
        serve = InMemoryServe.Start(maxFrameBytes: 64 * 1024);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await serve.DisposeAsync();

    private static JsonObject Params(params (string Key, JsonNode? Value)[] members)
    {
        var result = new JsonObject();
        foreach (var (key, value) in members)
        {
            result[key] = value;
        }

        return result;
    }

    private static void AssertError(JsonObject response, int code, JsonNode? id)
    {
        Assert.False(response.ContainsKey("result"), response.ToJsonString());
        Assert.Equal(code, (int)response["error"]!["code"]!);
        Assert.False(string.IsNullOrEmpty((string?)response["error"]!["message"]), response.ToJsonString());
        Assert.Equal(id?.ToJsonString() ?? "null", response["id"]?.ToJsonString() ?? "null");
    }

    private async Task AssertStillServesAsync()
    {
        var list = await Client.CallResultAsync("plugin.list", []);
        Assert.Empty(list!.AsArray());
    }

    [Fact]
    public async Task HeaderSplitAcrossWrites_IsAnswered()
    {
        var frame = JsonRpcTestClient.Frame(JsonRpcTestClient.Request(1, "plugin.list").ToJsonString());
        foreach (var cut in new[] { 3, 15, 17, 18, 19, frame.Length - 1 })
        {
            await Client.SendRawAsync(frame[..cut]).DefaultTimeout();
            await Task.Delay(20);
            await Client.SendRawAsync(frame[cut..]).DefaultTimeout();
            var response = await Client.ReadResponseAsync(1).DefaultTimeout();
            Assert.Empty(response["result"]!.AsArray());
        }
    }

    [Fact]
    public async Task TwoFramesInOneWrite_BothAnswered()
    {
        var bytes = JsonRpcTestClient.Frame(JsonRpcTestClient.Request("a", "plugin.list").ToJsonString())
            .Concat(JsonRpcTestClient.Frame(JsonRpcTestClient.Request("b", "runtime.stats").ToJsonString()))
            .ToArray();
        await Client.SendRawAsync(bytes).DefaultTimeout();
        Assert.NotNull((await Client.ReadResponseAsync("b").DefaultTimeout())["result"]!["totalInvocations"]);
        Assert.Empty((await Client.ReadResponseAsync("a").DefaultTimeout())["result"]!.AsArray());
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,")]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"plugin.list\"} trailing")]
    public async Task MalformedJson_ParseErrorWithNullId_ThenNextRequestWorks(string body)
    {
        await Client.SendRawAsync(JsonRpcTestClient.Frame(body)).DefaultTimeout();
        AssertError(await Client.ReadResponseAsync(null).DefaultTimeout(), -32700, null);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task InvalidUtf8_IsAParseError()
    {
        byte[] body = [.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x?\"}"u8];
        body[Array.IndexOf(body, (byte)'?')] = 0xFF;
        await Client.SendRawAsync([.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body]).DefaultTimeout();
        AssertError(await Client.ReadResponseAsync(null).DefaultTimeout(), -32700, null);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("Content-Length: lots\r\n\r\n{}")]
    [InlineData("Content-Type: application/json\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"plugin.list\"}")]
    [InlineData("junk line\r\n\r\n")]
    public async Task BadOrMissingContentLength_ParseError_ThenNextRequestWorks(string bad)
    {
        await Client.SendRawAsync(bad).DefaultTimeout();
        var error = await Client.ReadResponseAsync(null).DefaultTimeout();
        AssertError(error, -32700, null);
        Assert.Contains("parse error", (string?)error["error"]!["message"], StringComparison.Ordinal);
        await AssertStillServesAsync();
        Assert.Contains(serve.Logs, l => l.StartsWith("Warning: Refused a frame", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OversizedFrame_InvalidRequest_ThenNextRequestWorks()
    {
        var huge = JsonRpcTestClient.Request(5, "plugin.list", Params(("pad", new string('x', 100_000)))).ToJsonString();
        await Client.SendRawAsync(JsonRpcTestClient.Frame(huge)).DefaultTimeout();
        var error = await Client.ReadResponseAsync(null).DefaultTimeout();
        AssertError(error, -32600, null);
        Assert.Contains("exceed the limit of 65536 bytes", (string?)error["error"]!["message"], StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("[]", "batch")]
    [InlineData("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"plugin.list\"}]", "batch")]
    [InlineData("42", "JSON object")]
    [InlineData("\"plugin.list\"", "JSON object")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"plugin.list\"}", "'id'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"plugin.list\"}", "'id'")]
    public async Task NotARequest_InvalidRequestWithNullId(string body, string expected)
    {
        await Client.SendRawAsync(JsonRpcTestClient.Frame(body)).DefaultTimeout();
        var error = await Client.ReadResponseAsync(null).DefaultTimeout();
        AssertError(error, -32600, null);
        Assert.Contains(expected, (string?)error["error"]!["message"], StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Theory]
    [InlineData("{\"id\":7,\"method\":\"plugin.list\"}", "'jsonrpc'")]
    [InlineData("{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"plugin.list\"}", "'jsonrpc'")]
    [InlineData("{\"jsonrpc\":2.0,\"id\":7,\"method\":\"plugin.list\"}", "'jsonrpc'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":7}", "'method'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":5}", "'method'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"plugin.list\",\"params\":\"x\"}", "'params'")]
    public async Task InvalidRequestWithReadableId_AnswersWithThatId(string body, string expected)
    {
        await Client.SendRawAsync(JsonRpcTestClient.Frame(body)).DefaultTimeout();
        var error = await Client.ReadResponseAsync(7).DefaultTimeout();
        AssertError(error, -32600, 7);
        Assert.Contains(expected, (string?)error["error"]!["message"], StringComparison.Ordinal);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task UnknownMethod_MethodNotFound()
    {
        var error = await Client.CallAsync("plugin.explode", []);
        AssertError(error, -32601, error["id"]);
        Assert.Contains("plugin.explode", (string?)error["error"]!["message"], StringComparison.Ordinal);
        Assert.Null(error["error"]!["data"]);
    }

    [Fact]
    public async Task Store_PutGetDelete_RoundTripsRows()
    {
        Assert.Null(await Client.CallResultAsync("store.put", new JsonObject { ["table"] = "users", ["rowId"] = "9007199254740993", ["data"] = Convert.ToBase64String("ada"u8) }));
        var row = await Client.CallResultAsync("store.get", new JsonObject { ["table"] = "users", ["rowId"] = "9007199254740993" });
        Assert.Equal(Convert.ToBase64String("ada"u8), (string?)row!["data"]);
        Assert.Null(await Client.CallResultAsync("store.get", new JsonObject { ["table"] = "users", ["rowId"] = 1 }));
        Assert.True((bool)(await Client.CallResultAsync("store.delete", new JsonObject { ["table"] = "users", ["rowId"] = "9007199254740993" }))!);
        Assert.False((bool)(await Client.CallResultAsync("store.delete", new JsonObject { ["table"] = "users", ["rowId"] = "9007199254740993" }))!);
    }

    [Fact]
    public async Task Store_PutVectorAndSearch_ReturnsNearestFirst()
    {
        await Client.CallResultAsync("store.putVector", new JsonObject { ["index"] = "docs", ["rowId"] = 1, ["vector"] = new JsonArray(1, 0) });
        await Client.CallResultAsync("store.putVector", new JsonObject { ["index"] = "docs", ["rowId"] = 2, ["vector"] = new JsonArray(0, 1) });
        var hits = (await Client.CallResultAsync("store.search", new JsonObject { ["index"] = "docs", ["vector"] = new JsonArray(0.1, 1), ["topK"] = 1 }))!.AsArray();
        Assert.Equal("2", (string?)Assert.Single(hits)!["rowId"]);
        var mismatch = await Client.CallErrorAsync("store.putVector", new JsonObject { ["index"] = "docs", ["rowId"] = 3, ["vector"] = new JsonArray(1, 2, 3) });
        Assert.Equal(-32602, (int)mismatch["code"]!);
    }

    [Theory]
    [InlineData("store.put", "{\"table\":\"t\",\"rowId\":1}", "data")]
    [InlineData("store.put", "{\"table\":\"t\",\"rowId\":1.5,\"data\":\"\"}", "rowId")]
    [InlineData("store.get", "{\"rowId\":1}", "table")]
    [InlineData("store.putVector", "{\"index\":\"i\",\"rowId\":1,\"vector\":[]}", "vector")]
    [InlineData("store.putVector", "{\"index\":\"i\",\"rowId\":1,\"vector\":[1],\"metric\":\"manhattan\"}", "metric")]
    [InlineData("audit.query", "{\"limit\":0}", "limit")]
    public async Task Store_BadParams_NameTheParameter(string method, string parameters, string param)
    {
        var error = await Client.CallErrorAsync(method, JsonNode.Parse(parameters)!.AsObject());
        Assert.Equal(-32602, (int)error["code"]!);
        Assert.Equal(param, (string?)error["data"]!["param"]);
    }

    [Fact]
    public async Task Store_PutIndexAndLookup_ReturnsRowIdsAscending()
    {
        var key = Convert.ToBase64String("ada@x"u8);
        Assert.True((bool)(await Client.CallResultAsync("store.putIndex", new JsonObject { ["index"] = "by_email", ["key"] = key, ["rowId"] = 9 }))!);
        Assert.True((bool)(await Client.CallResultAsync("store.putIndex", new JsonObject { ["index"] = "by_email", ["key"] = key, ["rowId"] = 4 }))!);
        var ids = (await Client.CallResultAsync("store.lookupIndex", new JsonObject { ["index"] = "by_email", ["key"] = key }))!.AsArray();
        Assert.Equal(["4", "9"], ids.Select(i => (string?)i));
        Assert.True((bool)(await Client.CallResultAsync("store.putIndex", new JsonObject { ["index"] = "by_email", ["key"] = key, ["rowId"] = 4, ["remove"] = true }))!);
        Assert.Single((await Client.CallResultAsync("store.lookupIndex", new JsonObject { ["index"] = "by_email", ["key"] = key }))!.AsArray());
    }

    [Fact]
    public async Task AuditQuery_NoHostCalls_ReturnsEmptyList()
        => Assert.Empty((await Client.CallResultAsync("audit.query", []))!.AsArray());

    [Theory]
    [InlineData("plugin.load", "{\"manifestPath\":\"m.toml\"}", "id", "is required")]
    [InlineData("plugin.load", "{\"id\":\"p\"}", "manifestPath", "is required")]
    [InlineData("plugin.load", "{\"id\":5,\"manifestPath\":\"m.toml\"}", "id", "must be a string, not a number")]
    [InlineData("plugin.load", "{\"id\":\"\",\"manifestPath\":\"m.toml\"}", "id", "must not be empty")]
    [InlineData("plugin.load", "{\"id\":\"p\",\"manifestPath\":\"m.toml\",\"wasmPath\":[1]}", "wasmPath", "must be a string, not an array")]
    [InlineData("plugin.invoke", "{\"id\":\"p\"}", "function", "is required")]
    [InlineData("plugin.invoke", "{\"id\":\"p\",\"function\":\"add\",\"args\":{}}", "args", "must be an array")]
    [InlineData("plugin.invoke", "{\"id\":\"p\",\"function\":\"add\",\"args\":[{\"type\":\"i32\",\"value\":1},{\"type\":\"i33\",\"value\":1}]}", "args[1]", "unknown value type 'i33'")]
    [InlineData("plugin.invoke", "{\"id\":\"p\",\"function\":\"add\",\"args\":[{\"type\":\"i32\",\"value\":\"one\"}]}", "args[0]", "not a valid i32")]
    [InlineData("plugin.invoke", "{\"id\":\"p\",\"function\":\"add\",\"args\":[{\"type\":\"i32\",\"value\":4294967296}]}", "args[0]", "is not a valid value")]
    [InlineData("plugin.invoke", "{\"id\":\"p\",\"function\":\"f\",\"args\":[{\"type\":\"bytes\",\"value\":\"not base64!\"}]}", "args[0]", "is not a valid value")]
    [InlineData("plugin.invoke", "{\"id\":\"p\",\"function\":\"f\",\"args\":[7]}", "args[0]", "must be an object")]
    [InlineData("plugin.unload", "{}", "id", "is required")]
    [InlineData("plugin.resetFuel", "{\"id\":null}", "id", "is required")]
    [InlineData("plugin.stats", "{\"id\":[\"p\"]}", "id", "must be a string")]
    [InlineData("plugin.reload", "{\"id\":\"p\",\"manifestPath\":false}", "manifestPath", "must be a string, not a boolean")]
    [InlineData("plugin.list", "[]", "params", "must be an object")]
    [InlineData("plugin.unload", "[\"p\"]", "params", "positional params are not supported")]
    public async Task InvalidParams_NameTheParameter(string method, string parameters, string param, string expected)
    {
        await Client.SendRawAsync(JsonRpcTestClient.Frame($"{{\"jsonrpc\":\"2.0\",\"id\":\"ip\",\"method\":\"{method}\",\"params\":{parameters}}}")).DefaultTimeout();
        var response = await Client.ReadResponseAsync("ip").DefaultTimeout();
        AssertError(response, -32602, "ip");
        var message = (string?)response["error"]!["message"];
        Assert.Contains($"'{param}'", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Equal(param, (string?)response["error"]!["data"]!["param"]);
        await AssertStillServesAsync();
    }

    [Fact]
    public async Task Load_InvalidPluginId_IsInvalidParams()
    {
        var folder = Directory.CreateTempSubdirectory("sochdb-serve-test-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "plugin.toml");
            await File.WriteAllTextAsync(manifest, $"[plugin]\nname = \"x\"\nversion = \"1.0.0\"\nwasm = '{Fixtures.WatPath("basic")}'\n");
            var error = await Client.CallErrorAsync("plugin.load", Params(("id", "bad id!"), ("manifestPath", manifest)));
            Assert.Equal(-32602, (int)error["code"]!);
            Assert.Equal("id", (string?)error["data"]!["param"]);
            Assert.Contains("'bad id!'", (string?)error["message"], StringComparison.Ordinal);
            Assert.DoesNotContain("(Parameter", (string?)error["message"], StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Notifications_GetNoResponse_EvenWhenTheyFail()
    {
        await Client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "plugin.list" }).DefaultTimeout();
        await Client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "no.such.method" }).DefaultTimeout();
        await Client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "plugin.unload", ["params"] = Params(("id", "ghost")) }).DefaultTimeout();
        await Client.SendAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "plugin.unload", ["params"] = new JsonArray() }).DefaultTimeout();
        await AssertStillServesAsync();
        var rest = await serve.CloseAndDrainAsync();
        Assert.Empty(rest);
        Assert.Contains(serve.Logs, l => l.Contains("Notification plugin.unload failed: plugin not found: ghost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PluginError_HasCodeKindPluginIdAndMessage()
    {
        var error = await Client.CallErrorAsync("plugin.invoke", Params(("id", "ghost"), ("function", "add")));
        Assert.Equal(-32000, (int)error["code"]!);
        var data = error["data"]!.AsObject();
        Assert.Equal("PluginNotFound", (string?)data["kind"]);
        Assert.Equal("ghost", (string?)data["pluginId"]);
        Assert.Equal((string?)error["message"], (string?)data["message"]);
        Assert.Contains("ghost", (string?)data["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidManifest_CarriesDiagnosticsWithPositions()
    {
        var folder = Directory.CreateTempSubdirectory("sochdb-serve-test-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "plugin.toml");
            await File.WriteAllTextAsync(manifest, "[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n  colour = \"blue\"\n");
            var error = await Client.CallErrorAsync("plugin.load", Params(("id", "x"), ("manifestPath", manifest)));
            Assert.Equal(-32000, (int)error["code"]!);
            var data = error["data"]!.AsObject();
            Assert.Equal("InvalidManifest", (string?)data["kind"]);
            Assert.Equal("x", (string?)data["pluginId"]);
            var diagnostic = Assert.Single(data["diagnostics"]!.AsArray())!.AsObject();
            Assert.Equal(manifest, (string?)diagnostic["file"]);
            Assert.Equal(4, (int)diagnostic["line"]!);
            Assert.Equal(3, (int)diagnostic["column"]!);
            Assert.Contains("colour", (string?)diagnostic["message"], StringComparison.Ordinal);
            Assert.Equal(["file", "line", "column", "message"], diagnostic.Select(p => p.Key));

            var missing = await Client.CallErrorAsync("plugin.load", Params(("id", "x"), ("manifestPath", Path.Combine(folder.FullName, "nope.toml"))));
            Assert.Equal("InvalidManifest", (string?)missing["data"]!["kind"]);
            Assert.Contains("cannot read manifest", (string?)Assert.Single(missing["data"]!["diagnostics"]!.AsArray())!["message"], StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("\"req-1\"")]
    [InlineData("12345678901234567890123")]
    [InlineData("1.50")]
    [InlineData("-0")]
    [InlineData("null")]
    public async Task RequestIds_AreEchoedVerbatim(string id)
    {
        await Client.SendRawAsync(JsonRpcTestClient.Frame($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"plugin.list\"}}")).DefaultTimeout();
        serve.CloseInput();
        await serve.Run.DefaultTimeout();
        var raw = await Client.ReadBodyAsync().DefaultTimeout();
        Assert.StartsWith($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutdown_AnswersNullAfterStoppingAndIgnoresLaterFrames()
    {
        var bytes = JsonRpcTestClient.Frame(JsonRpcTestClient.Request("bye", "runtime.shutdown", []).ToJsonString())
            .Concat(JsonRpcTestClient.Frame(JsonRpcTestClient.Request("late", "plugin.list").ToJsonString()))
            .ToArray();
        await Client.SendRawAsync(bytes).DefaultTimeout();
        await serve.Run.DefaultTimeout();
        var messages = await Client.ReadToEndAsync().DefaultTimeout();
        var response = Assert.Single(messages);
        Assert.Equal("bye", (string?)response["id"]);
        Assert.True(response.ContainsKey("result"));
        Assert.Null(response["result"]);
        var manifest = ManifestParser.Parse("[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n").Manifest!;
        var load = await Assert.ThrowsAsync<PluginException>(() => serve.Supervisor.LoadAsync("p", Fixtures.Wasm("basic"), manifest)).DefaultTimeout();
        Assert.Equal(ErrorKind.RuntimeShutdown, load.Kind);
    }

    [Fact]
    public async Task EndOfInput_StopsTheServer()
    {
        await AssertStillServesAsync();
        serve.CloseInput();
        await serve.Run.DefaultTimeout();
        Assert.Contains(serve.Logs, l => l.Contains("Stopping: the input ended", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EndOfInputInsideAFrame_StopsAndLogsTruncation()
    {
        await Client.SendRawAsync("Content-Length: 100\r\n\r\n{\"jsonrpc\"").DefaultTimeout();
        serve.CloseInput();
        await serve.Run.DefaultTimeout();
        Assert.Contains(serve.Logs, l => l.StartsWith("Warning: Input truncated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancellation_AnswersRunningRequestsWithRuntimeShutdown()
    {
        var folder = Directory.CreateTempSubdirectory("sochdb-serve-test-");
        try
        {
            var manifest = Path.Combine(folder.FullName, "plugin.toml");
            await File.WriteAllTextAsync(manifest, $"[plugin]\nname = \"x\"\nversion = \"1.0.0\"\nwasm = '{Fixtures.WatPath("basic")}'\n[resources]\ntimeout_ms = 5000\nfuel_limit = 1_000_000_000_000\n");
            await Client.CallResultAsync("plugin.load", Params(("id", "x"), ("manifestPath", manifest)));
            await Client.SendAsync(JsonRpcTestClient.Request("spin", "plugin.invoke", Params(("id", "x"), ("function", "spin")))).DefaultTimeout();
            await Task.Delay(200);
            await serve.CancelAsync();
            var response = await Client.ReadResponseAsync("spin").DefaultTimeout();
            Assert.Equal(-32000, (int)response["error"]!["code"]!);
            Assert.Equal("RuntimeShutdown", (string?)response["error"]!["data"]!["kind"]);
            await serve.Run.DefaultTimeout();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Cancellation_StopsTheServer()
    {
        await AssertStillServesAsync();
        await serve.CancelAsync();
        await serve.Run.DefaultTimeout();
        Assert.Contains(serve.Logs, l => l.Contains("Stopping: cancelled", StringComparison.Ordinal));
    }
}

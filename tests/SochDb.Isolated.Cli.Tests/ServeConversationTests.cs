using System.Text.Json.Nodes;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>
/// Conversations with a real <c>sochdb-isolated serve</c> process over its standard streams, as a host in another
/// language would hold them: real worker processes, real plugins, every answer framed on stdout.
/// </summary>
public sealed class ServeConversationTests : IAsyncLifetime
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(20);

    private ServeProcess serve = null!;

    private JsonRpcTestClient Client => serve.Client;

    public Task InitializeAsync()
    {
        serve = ServeProcess.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await serve.DisposeAsync();

    private static JsonObject Value(string type, JsonNode value) => new() { ["type"] = type, ["value"] = value };

    private static JsonObject Invoke(string id, string function, params JsonObject[] args)
        => new() { ["id"] = id, ["function"] = function, ["args"] = new JsonArray([.. args]) };

    private async Task<JsonObject> LoadAsync(string id, string manifestPath)
    {
        var info = (await Client.CallResultAsync("plugin.load", new JsonObject { ["id"] = id, ["manifestPath"] = manifestPath }))!.AsObject();
        serve.TrackWorker((int)info["workerPid"]!);
        return info;
    }

    private async Task<JsonNode> InvokeSingleAsync(JsonObject parameters)
    {
        var result = (await Client.CallResultAsync("plugin.invoke", parameters))!;
        return Assert.Single(result["results"]!.AsArray())!;
    }

    private async Task<JsonObject> PluginErrorAsync(string method, JsonObject parameters, string kind)
    {
        var error = await Client.CallErrorAsync(method, parameters);
        Assert.Equal(-32000, (int)error["code"]!);
        var data = error["data"]!.AsObject();
        Assert.Equal(kind, (string?)data["kind"]);
        Assert.Equal((string?)error["message"], (string?)data["message"]);
        return data;
    }

    private async Task ShutdownAsync()
    {
        var response = await Client.CallAsync("runtime.shutdown", []);
        Assert.True(response.ContainsKey("result"), response.ToJsonString());
        Assert.Null(response["result"]);
        Assert.Equal(0, await serve.WaitForExitAsync(ExitBound));
        Assert.Empty(await Client.ReadToEndAsync().DefaultTimeout());
    }

    [Fact]
    public async Task StoreAndAudit_HostCallsHitTheDurableStoreAndEveryOneIsAudited()
    {
        Assert.Null(await Client.CallResultAsync("store.put", new JsonObject { ["table"] = "items", ["rowId"] = 7, ["data"] = Convert.ToBase64String("seven"u8) }));
        Assert.Null(await Client.CallResultAsync("store.put", new JsonObject { ["table"] = "secrets", ["rowId"] = 1, ["data"] = Convert.ToBase64String("hush"u8) }));
        var manifest = Path.Combine(serve.Folder.FullName, "host.toml");
        await File.WriteAllTextAsync(manifest, $"""
            [plugin]
            name = "host"
            version = "1.0.0"
            wasm = '{Fixtures.WatPath("host")}'

            [capabilities]
            can_read_table = ["items"]

            [resources]
            timeout_ms = 5000

            [exports]
            functions = ["get"]
            [exports.signatures.get]
            params = ["i64"]
            returns = ["bytes"]
            """);
        await LoadAsync("h", manifest);
        var row = await InvokeSingleAsync(Invoke("h", "get", Value("i64", "7")));
        Assert.Equal(Convert.ToBase64String("seven"u8), (string?)row["value"]);
        var denied = await InvokeSingleAsync(Invoke("h", "steal", Value("i64", "1")));
        Assert.Equal("-1", (string?)denied["value"]);

        var audit = (await Client.CallResultAsync("audit.query", new JsonObject { ["pluginId"] = "h" }))!.AsArray();
        Assert.Equal(2, audit.Count);
        Assert.Equal("Allowed", (string?)audit[0]!["decision"]);
        Assert.Equal("Denied", (string?)audit[1]!["decision"]);
        Assert.Equal("secrets", (string?)audit[1]!["target"]);
        Assert.Equal(1, (long)(await Client.CallResultAsync("runtime.stats", []))!["capabilityDenials"]!);
        await ShutdownAsync();

        var lines = await File.ReadAllLinesAsync(Path.Combine(serve.DataFolder, "audit", "audit.jsonl"));
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"decision\":\"Denied\"", lines[1], StringComparison.Ordinal);

        // A new server on the same folder finds the rows: the store is durable.
        await using var again = serve.Restart();
        var reread = await again.Client.CallResultAsync("store.get", new JsonObject { ["table"] = "items", ["rowId"] = 7 });
        Assert.Equal(Convert.ToBase64String("seven"u8), (string?)reread!["data"]);
        await again.Client.CallAsync("runtime.shutdown", []);
        Assert.Equal(0, await again.WaitForExitAsync(ExitBound));
    }

    [Fact]
    public async Task InvokeBatch_RowsAnswerInOrder_ATrappingRowCarriesItsErrorAndTheRowsCountAsCalls()
    {
        await LoadAsync("basic", serve.WriteManifest("plugin.toml"));
        var rows = new JsonArray(
            new JsonArray(Value("i32", 10), Value("i32", 2)),
            new JsonArray(Value("i32", 1), Value("i32", 0)),
            new JsonArray(Value("i32", 9), Value("i32", 3)));

        var batch = (await Client.CallResultAsync("plugin.invokeBatch", new JsonObject { ["id"] = "basic", ["function"] = "divide", ["rows"] = rows }))!.AsObject();

        var answers = batch["rows"]!.AsArray();
        Assert.Equal(3, answers.Count);
        Assert.Equal("""[{"type":"i32","value":5}]""", answers[0]!["results"]!.ToJsonString());
        Assert.True((long)answers[0]!["receipt"]!["fuelConsumed"]! > 0);
        Assert.Equal("Trap", (string?)answers[1]!["error"]!["kind"]);
        Assert.Contains("trapped", (string?)answers[1]!["error"]!["message"], StringComparison.Ordinal);
        Assert.Null(answers[1]!["results"]);
        Assert.Equal("""[{"type":"i32","value":3}]""", answers[2]!["results"]!.ToJsonString());

        var stats = (await Client.CallResultAsync("plugin.stats", new JsonObject { ["id"] = "basic" }))!;
        Assert.Equal(3, (long)stats["totalCalls"]!);
        Assert.Equal(1, (long)stats["failedCalls"]!);

        var notRows = await Client.CallErrorAsync("plugin.invokeBatch", new JsonObject { ["id"] = "basic", ["function"] = "add", ["rows"] = new JsonArray(Value("i32", 1)) });
        Assert.Equal(-32602, (int)notRows["code"]!);
        Assert.Equal("rows[0]", (string?)notRows["data"]!["param"]);
        await PluginErrorAsync("plugin.invokeBatch", new JsonObject { ["id"] = "ghost", ["function"] = "add", ["rows"] = new JsonArray() }, "PluginNotFound");
        await ShutdownAsync();
    }

    [Fact]
    public async Task Conversation_LoadInvokeEveryTypeStatsReloadUnloadShutdown()
    {
        var manifest = serve.WriteManifest("plugin.toml");
        var info = await LoadAsync("basic", manifest);
        Assert.True(Directory.Exists(serve.DataFolder), "--data was not created");
        Assert.Equal(["id", "name", "version", "state", "generation", "workerPid", "memoryUsedBytes", "callCount", "uptimeMs", "workerRestarts", "lastExitReason", "quarantineReason", "maxInstances", "previousGeneration", "lastRollbackReason"], info.Select(p => p.Key));
        Assert.Equal("basic", (string?)info["id"]);
        Assert.Equal("basic", (string?)info["name"]);
        Assert.Equal("1.0.0", (string?)info["version"]);
        Assert.Equal("Ready", (string?)info["state"]);
        Assert.Equal(1, (long)info["generation"]!);
        Assert.NotEqual(serve.Process.Id, (int)info["workerPid"]!);
        var firstWorker = (int)info["workerPid"]!;
        Assert.True(ProcessProbe.IsAlive(firstWorker));

        // i32, with the receipt.
        var add = (await Client.CallResultAsync("plugin.invoke", Invoke("basic", "add", Value("i32", 40), Value("i32", 2))))!.AsObject();
        Assert.Equal("""[{"type":"i32","value":42}]""", add["results"]!.ToJsonString());
        var receipt = add["receipt"]!.AsObject();
        Assert.Equal(["fuelConsumed", "durationUs", "peakMemoryBytes", "hostCalls", "generation", "roundTripUs", "hostBytesIn", "hostBytesOut", "hostTimeUs"], receipt.Select(p => p.Key));
        Assert.True((long)receipt["fuelConsumed"]! > 0);
        Assert.True((long)receipt["durationUs"]! >= 0);
        Assert.Equal(65536, (long)receipt["peakMemoryBytes"]!);
        Assert.Equal(0, (long)receipt["hostCalls"]!);
        Assert.Equal(1, (long)receipt["generation"]!);
        Assert.True((long)receipt["roundTripUs"]! > 0);

        // i64 past 2^53, as a string and as a number; always returned as a string.
        Assert.Equal(
            """{"type":"i64","value":"9007199254740994"}""",
            (await InvokeSingleAsync(Invoke("basic", "add64", Value("i64", "9007199254740993"), Value("i64", 1)))).ToJsonString());
        Assert.Equal(
            """{"type":"i64","value":"-5"}""",
            (await InvokeSingleAsync(Invoke("basic", "add64", Value("i64", -7), Value("i64", "2")))).ToJsonString());

        // f32 and f64.
        Assert.Equal("""{"type":"f32","value":3.75}""", (await InvokeSingleAsync(Invoke("basic", "mulf32", Value("f32", 1.5), Value("f32", 2.5)))).ToJsonString());
        Assert.Equal("""{"type":"f64","value":-10.25}""", (await InvokeSingleAsync(Invoke("basic", "mulf64", Value("f64", 2.5), Value("f64", -4.1)))).ToJsonString());

        // bytes (base64) through echo's bytes → bytes signature; string through upper's string → string.
        var payload = Convert.ToBase64String([0, 1, 2, 250, 255, 0]);
        var echoed = await InvokeSingleAsync(Invoke("basic", "echo", Value("bytes", payload)));
        Assert.Equal(("bytes", payload), ((string?)echoed["type"], (string?)echoed["value"]));
        var upper = await InvokeSingleAsync(Invoke("basic", "upper", Value("string", "mask me, É")));
        Assert.Equal(("string", "MASK ME, É"), ((string?)upper["type"], (string?)upper["value"]));

        var list = (await Client.CallResultAsync("plugin.list", []))!.AsArray();
        var listed = Assert.Single(list)!.AsObject();
        Assert.Equal(7, (long)listed["callCount"]!);
        Assert.Equal(firstWorker, (int)listed["workerPid"]!);

        var stats = (await Client.CallResultAsync("plugin.stats", new JsonObject { ["id"] = "basic" }))!.AsObject();
        // The statistics records grow with the runtime: check the fields that exist today, not that no others do.
        Assert.Superset(
            new HashSet<string>(["totalCalls", "successfulCalls", "failedCalls", "fuelConsumed", "fuelRemaining", "totalExecutionTimeUs", "peakMemoryBytes", "hostCalls", "hostCallErrors", "fuelExhaustions", "timeouts", "memoryViolations", "traps", "workerCrashes", "workerRestarts", "generation"]),
            stats.Select(p => p.Key).ToHashSet());
        Assert.Equal(7, (long)stats["totalCalls"]!);
        Assert.Equal(7, (long)stats["successfulCalls"]!);
        Assert.True((long)stats["fuelConsumed"]! > 0);

        var runtime = (await Client.CallResultAsync("runtime.stats", []))!.AsObject();
        Assert.Superset(
            new HashSet<string>(["sandboxesCreated", "activeSandboxes", "totalInvocations", "totalFuelConsumed", "moduleCacheHits", "moduleCacheMisses", "memoryViolations", "fuelExhaustions", "timeouts", "traps", "workersStarted", "workerCrashes", "overloads"]),
            runtime.Select(p => p.Key).ToHashSet());
        Assert.Equal(7, (long)runtime["totalInvocations"]!);
        Assert.Equal(1, (long)runtime["activeSandboxes"]!);
        Assert.Equal(1, (long)runtime["workersStarted"]!);

        Assert.Null(await Client.CallResultAsync("plugin.resetFuel", new JsonObject { ["id"] = "basic" }));

        // Reload from a new manifest: a new generation in a new worker; the old worker stops.
        var reloaded = (await Client.CallResultAsync("plugin.reload", new JsonObject { ["id"] = "basic", ["manifestPath"] = serve.WriteManifest("v2.toml", version: "2.0.0") }))!.AsObject();
        var secondWorker = serve.TrackWorker((int)reloaded["workerPid"]!);
        Assert.Equal(2, (long)reloaded["generation"]!);
        Assert.Equal("2.0.0", (string?)reloaded["version"]);
        Assert.NotEqual(firstWorker, secondWorker);
        // The old generation is kept, idle, for the reload's probation (10 s by default), then stopped.
        Assert.Equal(1, (long?)reloaded["previousGeneration"]);
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(firstWorker, TimeSpan.FromSeconds(25)), "the old generation's worker still runs after its probation");
        var afterReload = (await Client.CallResultAsync("plugin.invoke", Invoke("basic", "add", Value("i32", 1), Value("i32", 1))))!;
        Assert.Equal(2, (long)afterReload["receipt"]!["generation"]!);

        // Reload without a manifest re-reads the current one.
        var again = (await Client.CallResultAsync("plugin.reload", new JsonObject { ["id"] = "basic" }))!.AsObject();
        var thirdWorker = serve.TrackWorker((int)again["workerPid"]!);
        Assert.Equal(3, (long)again["generation"]!);

        Assert.Null(await Client.CallResultAsync("plugin.unload", new JsonObject { ["id"] = "basic" }));
        Assert.Empty((await Client.CallResultAsync("plugin.list", []))!.AsArray());
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(thirdWorker, TimeSpan.FromSeconds(10)), "the unloaded plugin's worker still runs");

        await ShutdownAsync();
    }

    [Fact]
    public async Task Errors_CarryTheirKindsAndDetails()
    {
        // Two plugins: one with a short deadline for the timeout, one with room so a slow machine cannot turn the
        // other calls into timeouts.
        await LoadAsync("spinner", serve.WriteManifest("spin.toml", ServeProcess.SpinResources));
        await LoadAsync("basic", serve.WriteManifest("plugin.toml"));

        var notFound = await PluginErrorAsync("plugin.invoke", Invoke("ghost", "add"), "PluginNotFound");
        Assert.Equal("ghost", (string?)notFound["pluginId"]);
        await PluginErrorAsync("plugin.stats", new JsonObject { ["id"] = "ghost" }, "PluginNotFound");
        await PluginErrorAsync("plugin.unload", new JsonObject { ["id"] = "ghost" }, "PluginNotFound");

        var noFunction = await PluginErrorAsync("plugin.invoke", Invoke("basic", "no_such_export"), "FunctionNotFound");
        Assert.Equal("basic", (string?)noFunction["pluginId"]);
        Assert.Contains("no_such_export", (string?)noFunction["message"], StringComparison.Ordinal);

        await PluginErrorAsync("plugin.invoke", Invoke("basic", "add", Value("i32", 1)), "InvalidArguments");
        await PluginErrorAsync("plugin.invoke", Invoke("basic", "add", Value("i32", 1), Value("f64", 2)), "InvalidArguments");

        var timeout = await PluginErrorAsync("plugin.invoke", Invoke("spinner", "spin"), "Timeout");
        Assert.Equal("spinner", (string?)timeout["pluginId"]);
        Assert.True((long)timeout["elapsedMs"]! >= 150, timeout.ToJsonString());
        Assert.NotNull(timeout["workerKilled"]);

        var trap = await PluginErrorAsync("plugin.invoke", Invoke("basic", "crash"), "Trap");
        Assert.Equal("Unreachable", (string?)trap["trapCode"]);

        // Both plugins still serve after all that.
        Assert.Equal(3, (int)(await InvokeSingleAsync(Invoke("basic", "add", Value("i32", 1), Value("i32", 2))))["value"]!);
        Assert.Equal(5, (int)(await InvokeSingleAsync(Invoke("spinner", "add", Value("i32", 2), Value("i32", 3))))["value"]!);

        await PluginErrorAsync("plugin.load", new JsonObject { ["id"] = "spinner", ["manifestPath"] = serve.WriteManifest("dup.toml") }, "PluginAlreadyLoaded");

        var badManifest = Path.Combine(serve.Folder.FullName, "bad.toml");
        await File.WriteAllTextAsync(badManifest, "[plugin]\nname = \"bad\"\nversion = \"1.0.0\"\n\n[resources]\n   timeout_ms = \"soon\"\n");
        var invalid = await PluginErrorAsync("plugin.load", new JsonObject { ["id"] = "bad", ["manifestPath"] = badManifest }, "InvalidManifest");
        var diagnostic = Assert.Single(invalid["diagnostics"]!.AsArray())!.AsObject();
        Assert.Equal(badManifest, (string?)diagnostic["file"]);
        Assert.Equal(6, (int)diagnostic["line"]!);
        Assert.Equal(17, (int)diagnostic["column"]!);
        Assert.Contains("timeout_ms", (string?)diagnostic["message"], StringComparison.Ordinal);

        Assert.Equal(1, (long)(await Client.CallResultAsync("plugin.stats", new JsonObject { ["id"] = "spinner" }))!["timeouts"]!);
        Assert.Equal(1, (long)(await Client.CallResultAsync("plugin.stats", new JsonObject { ["id"] = "basic" }))!["traps"]!);

        await ShutdownAsync();
    }

    [Fact]
    public async Task TwentyPipelinedRequests_InOneWrite_AreAllAnsweredById()
    {
        await LoadAsync("basic", serve.WriteManifest("plugin.toml"));
        var ids = new List<JsonNode>();
        var frames = new List<byte>();
        for (var i = 1; i <= 20; i++)
        {
            JsonNode id = i % 2 == 0 ? $"req-{i}" : i;
            ids.Add(id);
            var request = i % 5 == 0
                ? JsonRpcTestClient.Request(id.DeepClone(), "plugin.stats", new JsonObject { ["id"] = "basic" })
                : JsonRpcTestClient.Request(id.DeepClone(), "plugin.invoke", Invoke("basic", "add", Value("i32", i), Value("i32", 1000)));
            frames.AddRange(JsonRpcTestClient.Frame(request.ToJsonString()));
        }

        await Client.SendRawAsync([.. frames]).DefaultTimeout();
        for (var i = 1; i <= 20; i++)
        {
            var response = await Client.ReadResponseAsync(ids[i - 1]).DefaultTimeout();
            Assert.True(response.ContainsKey("result"), response.ToJsonString());
            if (i % 5 == 0)
            {
                Assert.NotNull(response["result"]!["totalCalls"]);
            }
            else
            {
                Assert.Equal(i + 1000, (int)response["result"]!["results"]![0]!["value"]!);
            }
        }

        var stats = (await Client.CallResultAsync("plugin.stats", new JsonObject { ["id"] = "basic" }))!;
        Assert.Equal(16, (long)stats["totalCalls"]!);
        await ShutdownAsync();
    }

    [Fact]
    public async Task MalformedInput_IsAnsweredAndTheServerKeepsServing()
    {
        await Client.SendRawAsync("Content-Length: 5\r\n\r\n{oops").DefaultTimeout();
        var parse = await Client.ReadResponseAsync(null).DefaultTimeout();
        Assert.Equal(-32700, (int)parse["error"]!["code"]!);

        await Client.SendRawAsync("Content-Length: many\r\n\r\n{}").DefaultTimeout();
        Assert.Equal(-32700, (int)(await Client.ReadResponseAsync(null).DefaultTimeout())["error"]!["code"]!);

        await Client.SendRawAsync(JsonRpcTestClient.Frame("""{"jsonrpc":"2.0","id":3}""")).DefaultTimeout();
        Assert.Equal(-32600, (int)(await Client.ReadResponseAsync(3).DefaultTimeout())["error"]!["code"]!);

        Assert.Equal(-32601, (int)(await Client.CallErrorAsync("plugin.frobnicate", []))["code"]!);
        Assert.Equal(-32602, (int)(await Client.CallErrorAsync("plugin.invoke", new JsonObject { ["id"] = 1 }))["code"]!);

        var store = await Client.CallErrorAsync("store.put", new JsonObject { ["key"] = "k", ["value"] = "v" });
        Assert.Equal(-32602, (int)store["code"]!);
        Assert.Equal("table", (string?)store["data"]!["param"]);

        Assert.Empty((await Client.CallResultAsync("plugin.list", []))!.AsArray());
        Assert.Equal(0, (long)(await Client.CallResultAsync("runtime.stats", []))!["totalInvocations"]!);
        Assert.Contains("Refused a frame", serve.Stderr, StringComparison.Ordinal);
        await ShutdownAsync();
    }

    [Fact]
    public async Task EndOfInput_StopsWorkersAndExitsZero()
    {
        var info = await LoadAsync("basic", serve.WriteManifest("plugin.toml"));
        serve.CloseInput();
        Assert.Equal(0, await serve.WaitForExitAsync(ExitBound));
        Assert.Empty(await Client.ReadToEndAsync().DefaultTimeout());
        Assert.True(await ProcessProbe.WaitUntilGoneAsync((int)info["workerPid"]!, TimeSpan.FromSeconds(5)), "the worker outlived the server");
    }

    [Fact]
    public async Task ServeKilled_EveryWorkerExitsWithinOneSecond()
    {
        var manifest = serve.WriteManifest("plugin.toml");
        var workers = new List<int>();
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            workers.Add((int)(await LoadAsync(id, manifest))["workerPid"]!);
        }

        Assert.All(workers, w => Assert.True(ProcessProbe.IsAlive(w)));

        // SIGKILL on Unix: no chance to clean up. Only each worker's own watch on its channel can end it.
        serve.Process.Kill(entireProcessTree: false);
        await serve.Process.WaitForExitAsync().DefaultTimeout();
        var gone = await Task.WhenAll(workers.Select(w => ProcessProbe.WaitUntilGoneAsync(w, TimeSpan.FromSeconds(1))));
        Assert.True(gone.All(g => g), $"workers still alive 1 s after their supervisor was killed: {string.Join(", ", workers.Where((w, i) => !gone[i]))}");
    }
}

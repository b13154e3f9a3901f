using System.Reflection;
using System.Text.Json.Nodes;
using SochDb.Isolated.Cli.Serve;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>The JSON shapes of the supervisor's records and errors: complete, camelCase, units in the names.</summary>
public sealed class ServeJsonTests
{
    /// <summary>The JSON name a record property must have: camelCase, and a TimeSpan's unit appended.</summary>
    private static string ExpectedName(PropertyInfo property, string timeUnit)
    {
        var name = char.ToLowerInvariant(property.Name[0]) + property.Name[1..];
        return property.PropertyType == typeof(TimeSpan) ? name + timeUnit : name;
    }

    private static void AssertCoversEveryProperty<T>(JsonObject json, string timeUnit)
    {
        var expected = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .OrderBy(p => p.MetadataToken)
            .Select(p => ExpectedName(p, timeUnit));
        Assert.Equal(expected, json.Select(p => p.Key));
    }

    [Fact]
    public void PluginStats_HasEveryPropertyWithTimeInMicroseconds()
    {
        var stats = new PluginStats { TotalCalls = 3, TotalExecutionTime = TimeSpan.FromMicroseconds(1234.9), FuelRemaining = 5, Generation = 2 };
        var json = ServeJson.PluginStats(stats);
        AssertCoversEveryProperty<PluginStats>(json, "Us");
        Assert.Equal(1234, (long)json["totalExecutionTimeUs"]!);
        Assert.Equal(3, (long)json["totalCalls"]!);
        Assert.Equal(2, (long)json["generation"]!);
    }

    [Fact]
    public void PluginStats_NamesTodaysFieldsAsDocumented()
    {
        // The wire names clients were promised in docs/serve-protocol.md; new counters may follow them.
        var json = ServeJson.PluginStats(new PluginStats());
        Assert.Superset(
            new HashSet<string>(["totalCalls", "successfulCalls", "failedCalls", "fuelConsumed", "fuelRemaining", "totalExecutionTimeUs", "peakMemoryBytes", "hostCalls", "hostCallErrors", "fuelExhaustions", "timeouts", "memoryViolations", "traps", "workerCrashes", "workerRestarts", "generation"]),
            json.Select(p => p.Key).ToHashSet());
        Assert.All(json.Where(p => p.Key is not ("lastExitReason" or "quarantineReason" or "lastRollbackReason")), p => Assert.Equal(System.Text.Json.JsonValueKind.Number, p.Value!.GetValueKind()));
        Assert.Equal("None", (string?)json["lastExitReason"]);
        Assert.Null(json["quarantineReason"]);
        Assert.Null(json["lastRollbackReason"]);
    }

    [Fact]
    public void RuntimeStats_HasEveryProperty()
    {
        var json = ServeJson.RuntimeStats(new RuntimeStats { WorkersStarted = 4, Overloads = 1 });
        AssertCoversEveryProperty<RuntimeStats>(json, "Us");
        Assert.Equal(4, (long)json["workersStarted"]!);
    }

    [Fact]
    public void PluginInfo_HasEveryPropertyStateAsNameUptimeInMilliseconds()
    {
        var info = new PluginInfo("p", "name", "1.2.3", PluginState.Executing, 2, null, 65536, 9, TimeSpan.FromMilliseconds(1500.7));
        var json = ServeJson.PluginInfo(info);
        AssertCoversEveryProperty<PluginInfo>(json, "Ms");
        Assert.Equal("Executing", (string?)json["state"]);
        Assert.Equal(1500, (long)json["uptimeMs"]!);
        Assert.True(json.ContainsKey("workerPid"));
        Assert.Null(json["workerPid"]);
    }

    [Fact]
    public void Receipt_HasEveryPropertyWithTimesInMicroseconds()
    {
        var receipt = new CallReceipt(100, TimeSpan.FromMicroseconds(42), 65536, 1, 3, TimeSpan.FromMilliseconds(2));
        var json = ServeJson.Receipt(receipt);
        AssertCoversEveryProperty<CallReceipt>(json, "Us");
        Assert.Equal(42, (long)json["durationUs"]!);
        Assert.Equal(2000, (long)json["roundTripUs"]!);
    }

    [Fact]
    public void InvokeResult_WritesValuesWithTheSharedValueForm()
    {
        var result = new InvokeResult([PluginValue.I64(long.MaxValue), PluginValue.Bytes([1, 2, 3]), PluginValue.F64(double.NaN)], new CallReceipt(1, TimeSpan.Zero, 0, 0, 1, TimeSpan.Zero));
        var json = ServeJson.InvokeResult(result);
        Assert.Equal(
            """[{"type":"i64","value":"9223372036854775807"},{"type":"bytes","value":"AQID"},{"type":"f64","value":"NaN"}]""",
            json["results"]!.ToJsonString());
    }

    public static TheoryData<PluginException, string, string> Errors() => new()
    {
        { new PluginTimeoutException("p", TimeSpan.FromMilliseconds(201.9), workerKilled: true, "late"), "Timeout", """{"elapsedMs":201,"workerKilled":true}""" },
        { new FuelExhaustedException("p", 1000, "empty"), "FuelExhausted", """{"consumed":1000}""" },
        { new MemoryLimitExceededException("p", 3_000_000, 2_097_152, "big"), "MemoryLimitExceeded", """{"usedBytes":3000000,"limitBytes":2097152}""" },
        { new PluginTrapException("p", "UnreachableCodeReached", "trap"), "Trap", """{"trapCode":"UnreachableCodeReached"}""" },
        { new PluginTrapException("p", null, "abi"), "Trap", """{"trapCode":null}""" },
        { new WorkerCrashedException("p", 137, "killed"), "WorkerCrashed", """{"exitCode":137}""" },
        { new WorkerCrashedException("p", null, "gone"), "WorkerCrashed", """{"exitCode":null}""" },
        { new OverloadedException("p", 256, TimeSpan.FromMilliseconds(200)), "Overloaded", """{"retryAfterMs":200,"queued":256}""" },
        { new TooManySandboxesException("p", 64, 64), "TooManySandboxes", """{"current":64,"max":64}""" },
        { new PluginException(ErrorKind.FunctionNotFound, "p", "no such export"), "FunctionNotFound", "{}" },
        {
            new InvalidManifestException("p", [new ManifestDiagnostic("m.toml", 4, 3, "unknown key"), new ManifestDiagnostic("m.toml", 0, 0, "no module")]),
            "InvalidManifest",
            """{"diagnostics":[{"file":"m.toml","line":4,"column":3,"message":"unknown key"},{"file":"m.toml","line":0,"column":0,"message":"no module"}]}"""
        },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void PluginErrorData_HasKindPluginIdMessageAndTheKindsDetails(PluginException exception, string kind, string details)
    {
        var data = PluginErrorData.From(exception);
        Assert.Equal(kind, (string?)data["kind"]);
        Assert.Equal("p", (string?)data["pluginId"]);
        Assert.Equal(exception.Message, (string?)data["message"]);
        var rest = new JsonObject();
        foreach (var (key, value) in data.Where(p => p.Key is not ("kind" or "pluginId" or "message")))
        {
            rest[key] = value?.DeepClone();
        }

        Assert.Equal(details, rest.ToJsonString());
    }

    [Fact]
    public void PluginErrorData_RuntimeWideError_OmitsPluginId()
    {
        var data = PluginErrorData.From(new PluginException(ErrorKind.RuntimeShutdown, null, "the runtime is shut down"));
        Assert.Equal("""{"kind":"RuntimeShutdown","message":"the runtime is shut down"}""", data.ToJsonString());
    }

    [Fact]
    public void Responses_AreCompactJsonRpcWithReadableText()
    {
        var error = JsonRpcResponses.Error(null, -32000, "plugin 'p' \"quoted\" é <tag>", new JsonObject { ["kind"] = "Trap" });
        Assert.Equal(
            """{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"plugin 'p' \"quoted\" é <tag>","data":{"kind":"Trap"}}}""",
            System.Text.Encoding.UTF8.GetString(error));
        Assert.Equal("""{"jsonrpc":"2.0","id":null,"result":null}""", System.Text.Encoding.UTF8.GetString(JsonRpcResponses.Result(null, null)));
    }
}

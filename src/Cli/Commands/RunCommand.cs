using System.CommandLine;
using System.Text.Json.Nodes;
using SochDb.Isolated.Cli.Serve;
using SochDb.Isolated.Cli.Values;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Commands;

/// <summary><c>run &lt;manifest&gt; --call &lt;export&gt; [--arg type:value]… [--json]</c>: load one plugin in a worker and call it once.</summary>
internal static class RunCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="global">The global options.</param>
    /// <returns>The command.</returns>
    public static Command Create(GlobalOptions global)
    {
        var manifest = new Argument<FileInfo>("manifest") { Description = "The plugin's manifest (plugin.toml)" };
        var call = new Option<string>("--call") { Description = "The export to call", Required = true };
        var argsOption = new Option<string[]>("--arg")
        {
            Description = "An argument as TYPE:VALUE (i32, i64, f32, f64, string, bytes as base64 or @file); repeat in order",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var wasm = new Option<FileInfo?>("--wasm") { Description = "The module, overriding the manifest's wasm key" };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON" };
        var command = new Command("run", "Load one plugin in a worker process, call one export, print the results and the call's receipt")
        {
            manifest, call, argsOption, wasm, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(
            parse,
            global,
            (_, supervisor, token) => RunAsync(supervisor, parse.GetValue(manifest)!, parse.GetValue(call)!, parse.GetValue(argsOption) ?? [], parse.GetValue(wasm), parse.GetValue(json), token),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(PluginSupervisor supervisor, FileInfo manifest, string function, string[] rawArgs, FileInfo? wasm, bool json, CancellationToken cancellationToken)
    {
        List<PluginValue> args;
        try
        {
            args = [.. rawArgs.Select(ValueJson.ParseArgument)];
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"error: --arg {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (!manifest.Exists)
        {
            return await FailAsync(json, "InputNotFound", $"manifest not found: {manifest.FullName}", ExitCodes.InputNotFound).ConfigureAwait(false);
        }

        try
        {
            var info = await supervisor.LoadFromManifestAsync("run", manifest.FullName, wasm?.FullName, cancellationToken).ConfigureAwait(false);
            var result = await supervisor.InvokeAsync("run", function, args, cancellationToken).ConfigureAwait(false);
            var r = result.Receipt;
            if (json)
            {
                var output = new JsonObject
                {
                    ["ok"] = true,
                    ["plugin"] = new JsonObject { ["name"] = info.Name, ["version"] = info.Version, ["workerPid"] = info.WorkerPid },
                    ["results"] = new JsonArray([.. result.Values.Select(v => (JsonNode)ValueJson.Write(v))]),
                    ["receipt"] = ServeJson.Receipt(r),
                };
                await Console.Out.WriteLineAsync(output.ToJsonString(CliJson.Options)).ConfigureAwait(false);
            }
            else
            {
                await Console.Out.WriteLineAsync($"{info.Name} {info.Version} (worker pid {info.WorkerPid}) {function}({string.Join(", ", args.Select(ValueJson.Display))})").ConfigureAwait(false);
                for (var i = 0; i < result.Values.Count; i++)
                {
                    await Console.Out.WriteLineAsync($"  result[{i}] = {ValueJson.Display(result.Values[i])}").ConfigureAwait(false);
                }

                await Console.Out.WriteLineAsync($"  receipt: fuel {r.FuelConsumed:N0}, guest time {r.Duration.TotalMicroseconds:F0} µs, round trip {r.RoundTrip.TotalMicroseconds:F0} µs, peak memory {r.PeakMemoryBytes:N0} bytes, host calls {r.HostCalls}").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }
        catch (PluginException ex)
        {
            return await FailAsync(json, ex.Kind.ToString(), ex.Message, ExitCodes.ForKind(ex.Kind)).ConfigureAwait(false);
        }
    }

    private static async Task<int> FailAsync(bool json, string kind, string message, int exitCode)
    {
        if (json)
        {
            var output = new JsonObject { ["ok"] = false, ["error"] = new JsonObject { ["kind"] = kind, ["message"] = message }, ["exitCode"] = exitCode };
            await Console.Out.WriteLineAsync(output.ToJsonString(CliJson.Options)).ConfigureAwait(false);
        }
        else
        {
            await Console.Error.WriteLineAsync($"error: {kind}: {message}").ConfigureAwait(false);
        }

        return exitCode;
    }
}

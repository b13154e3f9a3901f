using System.CommandLine;
using System.Text.Json.Nodes;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Commands;

/// <summary><c>inspect &lt;manifest.toml | plugin.wasm | plugin.wat&gt; [--json]</c>: validate without running.</summary>
internal static class InspectCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="global">The global options.</param>
    /// <returns>The command.</returns>
    public static Command Create(GlobalOptions global)
    {
        var path = new Argument<FileInfo>("path") { Description = "A manifest (.toml) or a module (.wasm or .wat)" };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON" };
        var command = new Command("inspect", "Validate a plugin and show its exports, imports, signatures, capabilities and limits") { path, json };
        command.SetAction((parse, ct) => InspectAsync(parse.GetValue(path)!, parse.GetValue(json), ct));
        return command;
    }

    private static async Task<int> InspectAsync(FileInfo path, bool json, CancellationToken cancellationToken)
    {
        if (!path.Exists)
        {
            await Console.Error.WriteLineAsync($"error: not found: {path.FullName}").ConfigureAwait(false);
            return ExitCodes.InputNotFound;
        }

        var inspection = await PluginInspector.InspectAsync(path.FullName, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await Console.Out.WriteLineAsync(ToJson(inspection).ToJsonString(CliJson.Options)).ConfigureAwait(false);
        }
        else
        {
            await WriteTextAsync(Console.Out, inspection).ConfigureAwait(false);
        }

        return inspection.IsValid ? ExitCodes.Success : ExitCodes.ValidationFailed;
    }

    private static async Task WriteTextAsync(TextWriter output, PluginInspection inspection)
    {
        var m = inspection.Manifest;
        if (m is not null)
        {
            await output.WriteLineAsync($"plugin      {m.Plugin.Name} {m.Plugin.Version}{(m.Plugin.Description.Length > 0 ? " — " + m.Plugin.Description : string.Empty)}").ConfigureAwait(false);
            var c = m.Capabilities;
            await output.WriteLineAsync($"reads       {List(c.CanReadTable)}").ConfigureAwait(false);
            await output.WriteLineAsync($"writes      {List(c.CanWriteTable)}").ConfigureAwait(false);
            await output.WriteLineAsync($"search      vector {(c.CanVectorSearch ? "yes" : "no")}, index {(c.CanIndexSearch ? "yes" : "no")}; calls {List(c.CanCallPlugin)}").ConfigureAwait(false);
            var r = m.Resources;
            await output.WriteLineAsync($"limits      memory {r.MemoryLimitMb} MiB, fuel {r.FuelLimit:N0}/call, timeout {r.TimeoutMs} ms, instances {r.MaxInstances}{(r.FuelBudget is { } b ? $", budget {b:N0}" : string.Empty)}").ConfigureAwait(false);
            foreach (var (name, signature) in m.Exports.Signatures)
            {
                await output.WriteLineAsync($"signature   {name}({string.Join(", ", signature.Params).ToLowerInvariant()}) -> ({string.Join(", ", signature.Returns).ToLowerInvariant()})").ConfigureAwait(false);
            }

            var hooks = m.Hooks.All.Distinct().ToList();
            if (hooks.Count > 0)
            {
                await output.WriteLineAsync($"hooks       {string.Join(", ", hooks)}").ConfigureAwait(false);
            }
        }

        if (inspection.ModulePath is not null)
        {
            await output.WriteLineAsync($"module      {inspection.ModulePath}{(inspection.ModuleSize is { } size ? $" ({size:N0} bytes, sha256 {inspection.ModuleSha256})" : string.Empty)}").ConfigureAwait(false);
        }

        foreach (var export in inspection.Exports)
        {
            await output.WriteLineAsync($"export      {export.Kind,-8} {export.Name} {export.Type}").ConfigureAwait(false);
        }

        foreach (var import in inspection.Imports)
        {
            await output.WriteLineAsync($"import      {import.Kind,-8} {import.Module}.{import.Name} {import.Type}{(import.Allowed ? string.Empty : "  ← not in the host ABI")}").ConfigureAwait(false);
        }

        if (inspection.IsValid)
        {
            await output.WriteLineAsync("ok          no problems found").ConfigureAwait(false);
            return;
        }

        foreach (var problem in inspection.Problems)
        {
            await output.WriteLineAsync($"problem     {(problem.Line > 0 ? $"{problem.File}:{problem.Line}:{problem.Column}" : problem.File)}: {problem.Message}").ConfigureAwait(false);
        }
    }

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "(none)" : string.Join(", ", items);

    private static JsonObject ToJson(PluginInspection inspection)
    {
        var m = inspection.Manifest;
        return new JsonObject
        {
            ["path"] = inspection.Path,
            ["valid"] = inspection.IsValid,
            ["plugin"] = m is null ? null : new JsonObject { ["name"] = m.Plugin.Name, ["version"] = m.Plugin.Version, ["description"] = m.Plugin.Description },
            ["capabilities"] = m is null ? null : new JsonObject
            {
                ["canReadTable"] = new JsonArray([.. m.Capabilities.CanReadTable.Select(t => (JsonNode?)t)]),
                ["canWriteTable"] = new JsonArray([.. m.Capabilities.CanWriteTable.Select(t => (JsonNode?)t)]),
                ["canVectorSearch"] = m.Capabilities.CanVectorSearch,
                ["canIndexSearch"] = m.Capabilities.CanIndexSearch,
                ["canCallPlugin"] = new JsonArray([.. m.Capabilities.CanCallPlugin.Select(t => (JsonNode?)t)]),
            },
            ["resources"] = m is null ? null : new JsonObject
            {
                ["memoryLimitMb"] = m.Resources.MemoryLimitMb,
                ["fuelLimit"] = m.Resources.FuelLimit,
                ["timeoutMs"] = m.Resources.TimeoutMs,
                ["maxInstances"] = m.Resources.MaxInstances,
                ["fuelBudget"] = m.Resources.FuelBudget,
            },
            ["module"] = inspection.ModulePath is null ? null : new JsonObject { ["path"] = inspection.ModulePath, ["size"] = inspection.ModuleSize, ["sha256"] = inspection.ModuleSha256 },
            ["exports"] = new JsonArray([.. inspection.Exports.Select(e => (JsonNode?)new JsonObject { ["name"] = e.Name, ["kind"] = e.Kind, ["type"] = e.Type })]),
            ["imports"] = new JsonArray([.. inspection.Imports.Select(i => (JsonNode?)new JsonObject { ["module"] = i.Module, ["name"] = i.Name, ["kind"] = i.Kind, ["type"] = i.Type, ["allowed"] = i.Allowed })]),
            ["problems"] = new JsonArray([.. inspection.Problems.Select(p => (JsonNode?)new JsonObject { ["file"] = p.File, ["line"] = p.Line, ["column"] = p.Column, ["message"] = p.Message })]),
        };
    }
}

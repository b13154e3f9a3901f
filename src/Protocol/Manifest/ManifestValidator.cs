using System.Security;

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>Applies the cross-key rules to a <see cref="ManifestDraft"/> and builds the <see cref="PluginManifest"/>.</summary>
/// <remarks>
/// Every rule runs even after an earlier one failed, so the author sees all problems at once; a manifest is built
/// only when nothing at all was reported, reading included.
/// </remarks>
internal static class ManifestValidator
{
    /// <summary>The most concurrent calls a manifest may ask for; the model has no constant for it.</summary>
    internal const long MaxInstancesLimit = 1024;

    /// <summary>Validates a draft and, when it and its reading produced no diagnostics, builds the manifest.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported; may already hold reading problems.</param>
    /// <param name="sourcePath">The manifest file, against whose folder <c>wasm</c> is resolved.</param>
    /// <returns>The manifest, or <see langword="null"/> when any diagnostic exists.</returns>
    public static PluginManifest? Validate(ManifestDraft draft, ManifestDiagnosticCollector diagnostics, string? sourcePath)
    {
        var (name, version) = ValidateIdentity(draft, diagnostics);
        ValidateResources(draft, diagnostics);
        ValidateExportsAndHooks(draft, diagnostics);
        ValidateCapabilities(draft, diagnostics);
        var (config, schema) = ValidateConfig(draft, diagnostics);
        var wasmPath = ResolveWasm(draft, diagnostics, sourcePath);

        if (diagnostics.Count > 0 || name is null || version is null)
        {
            return null;
        }

        return new PluginManifest
        {
            Plugin = new PluginMetadata
            {
                Name = name,
                Version = version,
                Description = GetPluginString(draft, "description") ?? string.Empty,
                Author = GetPluginString(draft, "author") ?? string.Empty,
                License = GetPluginString(draft, "license"),
                Homepage = GetPluginString(draft, "homepage"),
                Repository = GetPluginString(draft, "repository"),
                MinKernelVersion = GetPluginString(draft, "min_kernel_version"),
                Wasm = GetPluginString(draft, "wasm"),
            },
            Capabilities = new ManifestCapabilities
            {
                CanReadTable = Values(draft.GetList("capabilities.can_read_table")),
                CanWriteTable = Values(draft.GetList("capabilities.can_write_table")),
                CanVectorSearch = draft.Flags.GetValueOrDefault("can_vector_search"),
                CanIndexSearch = draft.Flags.GetValueOrDefault("can_index_search"),
                CanCallPlugin = Values(draft.GetList("capabilities.can_call_plugin")),
            },
            Resources = BuildResources(draft),
            Exports = new ExportedFunctions
            {
                Functions = Values(draft.GetList("exports.functions")),
                Signatures = draft.Signatures.ToDictionary(
                    signature => signature.Name.Value,
                    signature => new FunctionSignature(signature.Params, signature.Returns),
                    StringComparer.Ordinal),
            },
            Hooks = new TableHooks
            {
                BeforeInsert = Values(draft.GetList("hooks.before_insert")),
                AfterInsert = Values(draft.GetList("hooks.after_insert")),
                BeforeUpdate = Values(draft.GetList("hooks.before_update")),
                AfterUpdate = Values(draft.GetList("hooks.after_update")),
                BeforeDelete = Values(draft.GetList("hooks.before_delete")),
                AfterDelete = Values(draft.GetList("hooks.after_delete")),
                Tables = draft.StringLists.ContainsKey("hooks.tables") ? Values(draft.GetList("hooks.tables")) : null,
                FailOpen = draft.HookFailure?.Value == "open",
            },
            Config = config,
            ConfigSchema = schema,
            SourcePath = sourcePath,
            WasmPath = wasmPath,
        };
    }

    /// <summary>Checks the plugin-name rule shared by <c>name</c> and <c>can_call_plugin</c>.</summary>
    /// <remarks>Names end up in ids, logs and paths, so only characters that are safe in all of them are allowed.</remarks>
    /// <param name="name">The candidate name.</param>
    /// <returns><see langword="true"/> when the name is non-empty and uses only letters, digits, '-' and '_'.</returns>
    internal static bool IsValidPluginName(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Checks <c>name</c> and <c>version</c>.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <returns>The name and version, each <see langword="null"/> when missing or invalid.</returns>
    private static (string? Name, string? Version) ValidateIdentity(ManifestDraft draft, ManifestDiagnosticCollector diagnostics)
    {
        if (draft.PluginSection is not { } section)
        {
            diagnostics.Add(SourcePosition.FileStart, "missing required section [plugin] with keys 'name' and 'version'");
            return (null, null);
        }

        string? name = null;
        if (draft.Plugin.TryGetValue("name", out var nameValue))
        {
            if (nameValue.Value.Length == 0)
            {
                diagnostics.Add(nameValue.Position, "key 'name' in [plugin] must not be empty");
            }
            else if (!IsValidPluginName(nameValue.Value))
            {
                diagnostics.Add(nameValue.Position, $"invalid plugin name '{nameValue.Value}': use letters, digits, '-' and '_'");
            }
            else
            {
                name = nameValue.Value;
            }
        }
        else if (!draft.WrittenKeys.Contains("plugin.name"))
        {
            diagnostics.Add(section, "missing required key 'name' in [plugin]");
        }

        string? version = null;
        if (draft.Plugin.TryGetValue("version", out var versionValue))
        {
            if (string.IsNullOrWhiteSpace(versionValue.Value))
            {
                diagnostics.Add(versionValue.Position, "key 'version' in [plugin] must not be empty");
            }
            else
            {
                version = versionValue.Value;
            }
        }
        else if (!draft.WrittenKeys.Contains("plugin.version"))
        {
            diagnostics.Add(section, "missing required key 'version' in [plugin]");
        }

        return (name, version);
    }

    /// <summary>Checks that every <c>[resources]</c> value is within its limits.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    private static void ValidateResources(ManifestDraft draft, ManifestDiagnosticCollector diagnostics)
    {
        CheckRange(draft, diagnostics, "memory_limit_mb", ResourceLimits.MaxMemoryLimitMb);
        CheckRange(draft, diagnostics, "fuel_limit", long.MaxValue);
        CheckRange(draft, diagnostics, "timeout_ms", ResourceLimits.MaxTimeoutMs);
        CheckRange(draft, diagnostics, "max_instances", MaxInstancesLimit);
        CheckRange(draft, diagnostics, "fuel_budget", long.MaxValue);
        CheckRange(draft, diagnostics, "max_host_calls", ResourceLimits.MaxHostCallsLimit);
        CheckRange(draft, diagnostics, "max_host_input_bytes", ResourceLimits.MaxHostBytesLimit);
        CheckRange(draft, diagnostics, "max_host_output_bytes", ResourceLimits.MaxHostBytesLimit);
        CheckRange(draft, diagnostics, "max_scan_rows", ResourceLimits.MaxScanRowsLimit);
    }

    /// <summary>Checks one resource value against 1..<paramref name="max"/> when it is given.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <param name="key">The key in <c>[resources]</c>.</param>
    /// <param name="max">The largest allowed value; <see cref="long.MaxValue"/> for "no upper limit".</param>
    private static void CheckRange(ManifestDraft draft, ManifestDiagnosticCollector diagnostics, string key, long max)
    {
        if (!draft.Resources.TryGetValue(key, out var value) || (value.Value >= 1 && value.Value <= max))
        {
            return;
        }

        diagnostics.Add(
            value.Position,
            max == long.MaxValue
                ? $"{key} = {value.Value} in [resources] is out of range: must be at least 1"
                : $"{key} = {value.Value} in [resources] is out of range: must be between 1 and {max}");
    }

    /// <summary>Checks that exported names are unique and that hooks and signatures only name exported functions.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    private static void ValidateExportsAndHooks(ManifestDraft draft, ManifestDiagnosticCollector diagnostics)
    {
        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var function in draft.GetList("exports.functions"))
        {
            if (function.Value.Length == 0)
            {
                diagnostics.Add(function.Position, "empty function name in [exports] functions");
            }
            else if (!exported.Add(function.Value))
            {
                diagnostics.Add(function.Position, $"duplicate function '{function.Value}' in [exports] functions");
            }
        }

        foreach (var hook in ManifestSyntaxReader.HookKeys)
        {
            foreach (var function in draft.GetList("hooks." + hook))
            {
                if (!exported.Contains(function.Value))
                {
                    diagnostics.Add(function.Position, $"hook function '{function.Value}' in {hook} is not in [exports] functions");
                }
            }
        }

        if (draft.HookFailure is { } failure && failure.Value is not ("closed" or "open"))
        {
            diagnostics.Add(failure.Position, $"failure = \"{failure.Value}\" in [hooks] is not allowed: use \"closed\" (a failing hook aborts the write) or \"open\" (it is skipped)");
        }

        foreach (var table in draft.GetList("hooks.tables"))
        {
            if (table.Value.Length == 0)
            {
                diagnostics.Add(table.Position, "empty table pattern in [hooks] tables");
            }
        }

        foreach (var signature in draft.Signatures)
        {
            if (!exported.Contains(signature.Name.Value))
            {
                diagnostics.Add(
                    signature.Name.Position,
                    $"signature for '{signature.Name.Value}' in [exports.signatures] names a function that is not in [exports] functions");
            }
        }
    }

    /// <summary>Checks table patterns and callable plugin names.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    private static void ValidateCapabilities(ManifestDraft draft, ManifestDiagnosticCollector diagnostics)
    {
        foreach (var key in (string[])["can_read_table", "can_write_table"])
        {
            foreach (var pattern in draft.GetList("capabilities." + key))
            {
                if (string.IsNullOrWhiteSpace(pattern.Value))
                {
                    diagnostics.Add(pattern.Position, $"empty table pattern in {key}: use '*', 'prefix*' or an exact table name");
                }
            }
        }

        // can_call_plugin names plugin ids (what a host loads a plugin under), exactly: no patterns.
        foreach (var plugin in draft.GetList("capabilities.can_call_plugin"))
        {
            if (plugin.Value.Length is 0 or > 128 || !plugin.Value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                diagnostics.Add(plugin.Position, $"invalid plugin id '{plugin.Value}' in can_call_plugin: use 1 to 128 ASCII letters, digits, '-', '_' or '.' (ids are matched exactly)");
            }
        }
    }

    /// <summary>Checks the schema, checks <c>[config]</c> against it and fills in defaults.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <returns>The config values and the schema fields.</returns>
    private static (Dictionary<string, ConfigValue> Config, List<ConfigField> Schema) ValidateConfig(
        ManifestDraft draft,
        ManifestDiagnosticCollector diagnostics)
    {
        var config = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var schema = new List<ConfigField>();
        if (!draft.HasConfigSchema)
        {
            // Without a schema the plugin owns the meaning of its config, so values pass as written.
            foreach (var entry in draft.Config)
            {
                config[entry.Name.Value] = entry.Value.Value;
            }

            return (config, schema);
        }

        foreach (var field in draft.ConfigSchema)
        {
            if (BuildField(field, diagnostics) is { } built)
            {
                schema.Add(built);
            }
        }

        var declared = draft.ConfigSchema.ToDictionary(field => field.Name.Value, StringComparer.Ordinal);
        foreach (var entry in draft.Config)
        {
            var key = entry.Name.Value;
            if (!declared.TryGetValue(key, out var field))
            {
                var names = declared.Count == 0 ? "(none)" : string.Join(", ", declared.Keys);
                diagnostics.Add(entry.Name.Position, $"unknown config key '{key}': it is not declared in [config_schema]; declared fields: {names}");
            }
            else if (field.Type is { } type)
            {
                if (Coerce(type, entry.Value.Value) is { } value)
                {
                    config[key] = value;
                }
                else
                {
                    diagnostics.Add(
                        entry.Value.Position,
                        $"key '{key}' in [config] must be {ManifestSyntaxReader.ConfigKindName(type)} as declared in [config_schema.{key}], got {ManifestSyntaxReader.ConfigKindName(entry.Value.Value.Type)}");
                }
            }
        }

        foreach (var field in schema)
        {
            // A key that was written but rejected is already reported; calling it missing would only add noise.
            if (draft.WrittenKeys.Contains("config." + field.Name))
            {
                continue;
            }

            if (field.Default is not null)
            {
                config[field.Name] = field.Default;
            }
            else if (field.Required)
            {
                diagnostics.Add(
                    declared[field.Name].Name.Position,
                    $"missing required config key '{field.Name}' declared in [config_schema.{field.Name}]");
            }
        }

        return (config, schema);
    }

    /// <summary>Checks one schema field and converts it to the model.</summary>
    /// <param name="field">The field draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <returns>The field, or <see langword="null"/> when its type is missing or invalid.</returns>
    private static ConfigField? BuildField(ConfigFieldDraft field, ManifestDiagnosticCollector diagnostics)
    {
        var name = field.Name.Value;
        if (field.Type is not { } type)
        {
            if (!field.TypeWritten)
            {
                diagnostics.Add(
                    field.Name.Position,
                    $"config_schema field '{name}' is missing required key 'type'; allowed types: string, integer, float, boolean, string_array");
            }

            return null;
        }

        ConfigValue? defaultValue = null;
        if (field.Default is { } written)
        {
            defaultValue = Coerce(type, written.Value);
            if (defaultValue is null)
            {
                diagnostics.Add(
                    written.Position,
                    $"key 'default' in [config_schema.{name}] must be {ManifestSyntaxReader.ConfigKindName(type)}, got {ManifestSyntaxReader.ConfigKindName(written.Value.Type)}");
            }
        }

        return new ConfigField
        {
            Name = name,
            Type = type,
            Required = field.Required,
            Default = defaultValue,
            Description = field.Description,
        };
    }

    /// <summary>Converts a value to a field's type where that is lossless.</summary>
    /// <remarks>An integer literal is accepted for a float field because authors write <c>1</c> for <c>1.0</c>.</remarks>
    /// <param name="type">The field's type.</param>
    /// <param name="value">The value as written.</param>
    /// <returns>The value with the field's type, or <see langword="null"/> when the types do not match.</returns>
    private static ConfigValue? Coerce(ConfigFieldType type, ConfigValue value)
    {
        if (value.Type == type)
        {
            return value;
        }

        return type == ConfigFieldType.Float && value.Type == ConfigFieldType.Integer
            ? new ConfigValue(ConfigFieldType.Float, (double)(long)value.Value)
            : null;
    }

    /// <summary>Resolves <c>wasm</c> against the manifest's folder.</summary>
    /// <remarks>
    /// Relative to the manifest, not the process, so a plugin folder can be moved or loaded from anywhere; text with
    /// no file falls back to the current directory.
    /// </remarks>
    /// <param name="draft">The draft.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <param name="sourcePath">The manifest file, if any.</param>
    /// <returns>The absolute module path, or <see langword="null"/> when <c>wasm</c> is absent or invalid.</returns>
    private static string? ResolveWasm(ManifestDraft draft, ManifestDiagnosticCollector diagnostics, string? sourcePath)
    {
        if (!draft.Plugin.TryGetValue("wasm", out var wasm))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(wasm.Value))
        {
            diagnostics.Add(wasm.Position, "key 'wasm' in [plugin] must name a module file, got an empty string");
            return null;
        }

        try
        {
            var folder = string.IsNullOrEmpty(sourcePath) ? null : Path.GetDirectoryName(sourcePath);
            if (string.IsNullOrEmpty(folder))
            {
                folder = Directory.GetCurrentDirectory();
            }

            return Path.GetFullPath(Path.Combine(folder, wasm.Value));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException or SecurityException)
        {
            diagnostics.Add(wasm.Position, $"invalid wasm path '{wasm.Value}': {ex.Message}");
            return null;
        }
    }

    /// <summary>Returns a <c>[plugin]</c> string, or <see langword="null"/> when absent.</summary>
    /// <param name="draft">The draft.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    private static string? GetPluginString(ManifestDraft draft, string key) =>
        draft.Plugin.TryGetValue(key, out var value) ? value.Value : null;

    /// <summary>Drops positions from a list once validation no longer needs them.</summary>
    /// <param name="list">The located values.</param>
    /// <returns>The values.</returns>
    private static string[] Values(IReadOnlyList<Located<string>> list) => [.. list.Select(item => item.Value)];

    /// <summary>Builds the resource limits, keeping the model's defaults for absent keys.</summary>
    /// <param name="draft">The draft, already validated.</param>
    /// <returns>The limits.</returns>
    private static ResourceLimits BuildResources(ManifestDraft draft)
    {
        var defaults = new ResourceLimits();
        long? Get(string key) => draft.Resources.TryGetValue(key, out var value) ? value.Value : null;
        return new ResourceLimits
        {
            MemoryLimitMb = Get("memory_limit_mb") ?? defaults.MemoryLimitMb,
            FuelLimit = Get("fuel_limit") ?? defaults.FuelLimit,
            TimeoutMs = Get("timeout_ms") ?? defaults.TimeoutMs,

            // Range-checked against MaxInstancesLimit, so the narrowing cannot overflow.
            MaxInstances = Get("max_instances") is { } instances ? (int)instances : defaults.MaxInstances,
            FuelBudget = Get("fuel_budget"),
            MaxHostCalls = Get("max_host_calls") ?? defaults.MaxHostCalls,
            MaxHostInputBytes = Get("max_host_input_bytes") ?? defaults.MaxHostInputBytes,
            MaxHostOutputBytes = Get("max_host_output_bytes") ?? defaults.MaxHostOutputBytes,
            MaxScanRows = Get("max_scan_rows") ?? defaults.MaxScanRows,
        };
    }
}

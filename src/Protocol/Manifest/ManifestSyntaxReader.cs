using Tomlyn.Syntax;

namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>Walks a Tomlyn syntax tree into a <see cref="ManifestDraft"/>, reporting unknown keys and type errors.</summary>
/// <remarks>
/// The syntax tree is used rather than Tomlyn's object model because only the tree keeps the position of every
/// key and value. Table headers, dotted keys and inline tables are flattened into one key path, so each rule is
/// written once whichever TOML spelling the author chose. Anything not in the schema is an error: in a security
/// manifest a misspelt key must not silently fall back to a default.
/// </remarks>
internal sealed class ManifestSyntaxReader
{
    /// <summary>The sections a manifest may contain, as listed in "unknown section" diagnostics.</summary>
    internal const string AllowedSections =
        "[plugin], [capabilities], [resources], [exports], [exports.signatures.<function>], [hooks], [config], [config_schema.<field>]";

    /// <summary>The keys of <c>[hooks]</c>, in the order validation reports them.</summary>
    internal static readonly string[] HookKeys =
        ["before_insert", "after_insert", "before_update", "after_update", "before_delete", "after_delete"];

    /// <summary>Every key of <c>[hooks]</c>: the hook lists, the <c>tables</c> they watch and the <c>failure</c> policy.</summary>
    private static readonly string[] HookSectionKeys = [.. HookKeys, "tables", "failure"];

    /// <summary>The keys of <c>[plugin]</c>; all take strings.</summary>
    private static readonly string[] PluginKeys =
        ["name", "version", "description", "author", "license", "homepage", "repository", "min_kernel_version", "wasm"];

    /// <summary>The keys of <c>[capabilities]</c>.</summary>
    private static readonly string[] CapabilityKeys =
        ["can_read_table", "can_write_table", "can_vector_search", "can_index_search", "can_call_plugin"];

    /// <summary>The boolean keys of <c>[capabilities]</c>; the others take arrays of strings.</summary>
    private static readonly string[] CapabilityFlagKeys = ["can_vector_search", "can_index_search"];

    /// <summary>The keys of <c>[resources]</c>; all take integers.</summary>
    private static readonly string[] ResourceKeys =
        ["memory_limit_mb", "fuel_limit", "timeout_ms", "max_instances", "fuel_budget", "max_host_calls", "max_host_input_bytes", "max_host_output_bytes", "max_scan_rows"];

    /// <summary>The keys of <c>[exports]</c>.</summary>
    private static readonly string[] ExportKeys = ["functions", "signatures"];

    /// <summary>The keys of <c>[exports.signatures.&lt;fn&gt;]</c>.</summary>
    private static readonly string[] SignatureKeys = ["params", "returns"];

    /// <summary>The keys of <c>[config_schema.&lt;name&gt;]</c>.</summary>
    private static readonly string[] ConfigFieldKeys = ["type", "required", "default", "description"];

    /// <summary>The value type names, matched case-sensitively so the manifest has one spelling per type.</summary>
    private static readonly Dictionary<string, PluginValueType> ValueTypeNames = new(StringComparer.Ordinal)
    {
        ["i32"] = PluginValueType.I32,
        ["i64"] = PluginValueType.I64,
        ["f32"] = PluginValueType.F32,
        ["f64"] = PluginValueType.F64,
        ["bytes"] = PluginValueType.Bytes,
        ["string"] = PluginValueType.String,
    };

    /// <summary>The config field type names accepted by <c>type = "…"</c>.</summary>
    private static readonly Dictionary<string, ConfigFieldType> ConfigTypeNames = new(StringComparer.Ordinal)
    {
        ["string"] = ConfigFieldType.String,
        ["integer"] = ConfigFieldType.Integer,
        ["float"] = ConfigFieldType.Float,
        ["boolean"] = ConfigFieldType.Boolean,
        ["string_array"] = ConfigFieldType.StringArray,
    };

    /// <summary>The draft being filled.</summary>
    private readonly ManifestDraft draft = new();

    /// <summary>Where problems are reported.</summary>
    private readonly ManifestDiagnosticCollector diagnostics;

    /// <summary>Initializes a new instance of the <see cref="ManifestSyntaxReader"/> class.</summary>
    /// <param name="diagnostics">Where problems are reported.</param>
    private ManifestSyntaxReader(ManifestDiagnosticCollector diagnostics) => this.diagnostics = diagnostics;

    /// <summary>Reads a syntax tree that has no syntax errors.</summary>
    /// <param name="document">The syntax tree.</param>
    /// <param name="diagnostics">Where problems are reported.</param>
    /// <returns>Everything that could be read; keys with errors are left out.</returns>
    public static ManifestDraft Read(DocumentSyntax document, ManifestDiagnosticCollector diagnostics)
    {
        var reader = new ManifestSyntaxReader(diagnostics);
        reader.ReadDocument(document);
        return reader.draft;
    }

    /// <summary>Returns the TOML name of a config field type, as written in <c>type = "…"</c>.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The name.</returns>
    internal static string ConfigTypeName(ConfigFieldType type) =>
        ConfigTypeNames.First(pair => pair.Value == type).Key;

    /// <summary>Returns the TOML name of a config value's kind, for "got …" in type errors.</summary>
    /// <param name="type">The kind.</param>
    /// <returns>The name.</returns>
    internal static string ConfigKindName(ConfigFieldType type) =>
        type == ConfigFieldType.StringArray ? "array of strings" : ConfigTypeName(type);

    /// <summary>Reads the root keys and every table.</summary>
    /// <param name="document">The syntax tree.</param>
    private void ReadDocument(DocumentSyntax document)
    {
        foreach (var keyValue in document.KeyValues)
        {
            var path = Segments(keyValue.Key);
            if (path.Count > 0)
            {
                diagnostics.Add(
                    path[0].Position,
                    $"key '{Join(path, 0, path.Count)}' is outside any section; put it under one of {AllowedSections}");
            }
        }

        foreach (var table in document.Tables)
        {
            var header = Segments(table.Name);
            if (header.Count == 0)
            {
                continue;
            }

            if (table is TableArraySyntax)
            {
                diagnostics.Add(
                    SourcePosition.Of(table),
                    $"array of tables [[{Join(header, 0, header.Count)}]] is not allowed; allowed sections: {AllowedSections}");
                continue;
            }

            if (!OpenSection(header, SourcePosition.Of(table)))
            {
                // The header is already reported; its keys would only repeat the same mistake.
                continue;
            }

            foreach (var keyValue in table.Items)
            {
                var key = Segments(keyValue.Key);
                if (key.Count > 0 && keyValue.Value is not null)
                {
                    Dispatch([.. header, .. key], keyValue.Value);
                }
            }
        }
    }

    /// <summary>Checks a table header against the known sections and registers named sub-tables.</summary>
    /// <param name="header">The header's segments.</param>
    /// <param name="tablePosition">Where the header starts.</param>
    /// <returns><see langword="true"/> when the section is known and its keys should be read.</returns>
    private bool OpenSection(List<KeySegment> header, SourcePosition tablePosition)
    {
        var section = header[0].Name;
        int firstUnknown;
        switch (section)
        {
            case "plugin" or "capabilities" or "resources" or "exports" or "hooks" or "config" or "config_schema"
                when header.Count == 1:
                if (section == "plugin")
                {
                    draft.PluginSection ??= tablePosition;
                }
                else if (section == "config_schema")
                {
                    draft.HasConfigSchema = true;
                }

                return true;
            case "exports" when header[1].Name == "signatures":
                if (header.Count <= 3)
                {
                    if (header.Count == 3)
                    {
                        draft.GetOrAddSignature(header[2]);
                    }

                    return true;
                }

                firstUnknown = 3;
                break;
            case "config_schema":
                if (header.Count == 2)
                {
                    draft.GetOrAddConfigField(header[1]);
                    return true;
                }

                firstUnknown = 2;
                break;
            case "plugin" or "capabilities" or "resources" or "exports" or "hooks" or "config":
                firstUnknown = 1;
                break;
            default:
                firstUnknown = 0;
                break;
        }

        diagnostics.Add(
            header[firstUnknown].Position,
            $"unknown section [{Join(header, 0, header.Count)}]; allowed sections: {AllowedSections}");
        return false;
    }

    /// <summary>Routes one flattened key to the reader of its section.</summary>
    /// <param name="path">The full key path, section first; always at least two segments.</param>
    /// <param name="value">The value.</param>
    private void Dispatch(List<KeySegment> path, ValueSyntax value)
    {
        switch (path[0].Name)
        {
            case "plugin":
                ReadPlugin(path, value);
                break;
            case "capabilities":
                ReadCapability(path, value);
                break;
            case "resources":
                ReadResource(path, value);
                break;
            case "hooks":
                ReadHook(path, value);
                break;
            case "exports":
                ReadExport(path, value);
                break;
            case "config":
                ReadConfig(path, value);
                break;
            case "config_schema":
                ReadConfigSchema(path, value);
                break;
            default:
                // Only reachable from a known section header, so there is nothing else to route.
                break;
        }
    }

    /// <summary>Reads a <c>[plugin]</c> key.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadPlugin(List<KeySegment> path, ValueSyntax value)
    {
        if (TryGetFlatKey(path, PluginKeys, out var key) && ReadString(path, value) is { } text)
        {
            draft.Plugin[key] = text;
        }
    }

    /// <summary>Reads a <c>[capabilities]</c> key.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadCapability(List<KeySegment> path, ValueSyntax value)
    {
        if (!TryGetFlatKey(path, CapabilityKeys, out var key))
        {
            return;
        }

        if (CapabilityFlagKeys.Contains(key))
        {
            if (ReadBoolean(path, value) is { } flag)
            {
                draft.Flags[key] = flag.Value;
            }
        }
        else if (ReadStringList(path, value) is { } list)
        {
            draft.StringLists["capabilities." + key] = list;
        }
    }

    /// <summary>Reads a <c>[resources]</c> key.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadResource(List<KeySegment> path, ValueSyntax value)
    {
        if (TryGetFlatKey(path, ResourceKeys, out var key) && ReadInteger(path, value) is { } number)
        {
            draft.Resources[key] = number;
        }
    }

    /// <summary>Reads a <c>[hooks]</c> key.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadHook(List<KeySegment> path, ValueSyntax value)
    {
        if (!TryGetFlatKey(path, HookSectionKeys, out var key))
        {
            return;
        }

        if (key == "failure")
        {
            draft.HookFailure = ReadString(path, value);
        }
        else if (ReadStringList(path, value) is { } list)
        {
            draft.StringLists["hooks." + key] = list;
        }
    }

    /// <summary>Reads an <c>[exports]</c> key, including signatures in any of their TOML spellings.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadExport(List<KeySegment> path, ValueSyntax value)
    {
        var key = path[1].Name;
        if (key == "functions" && path.Count == 2)
        {
            draft.WrittenKeys.Add("exports.functions");
            if (ReadStringList(path, value) is { } list)
            {
                draft.StringLists["exports.functions"] = list;
            }

            return;
        }

        if (key != "signatures")
        {
            ReportUnknownKey(path, 1, ExportKeys);
            return;
        }

        if (path.Count <= 3)
        {
            if (value is InlineTableSyntax table)
            {
                if (path.Count == 3)
                {
                    draft.GetOrAddSignature(path[2]);
                }

                ReadInlineTable(path, table);
            }
            else
            {
                ReportTypeError(path, value, path.Count == 2 ? "a table of function signatures" : "a table with params and returns");
            }

            return;
        }

        if (path.Count > 4 || !SignatureKeys.Contains(path[3].Name))
        {
            ReportUnknownKey(path, 3, SignatureKeys);
            return;
        }

        var signature = draft.GetOrAddSignature(path[2]);
        if (ReadValueTypes(path, value) is { } types)
        {
            if (path[3].Name == "params")
            {
                signature.Params = types;
            }
            else
            {
                signature.Returns = types;
            }
        }
    }

    /// <summary>Reads a <c>[config]</c> key.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadConfig(List<KeySegment> path, ValueSyntax value)
    {
        if (path.Count > 2)
        {
            diagnostics.Add(
                path[1].Position,
                $"key '{Join(path, 1, path.Count)}' in [config] is a nested table; [config] values must be a string, integer, float, boolean or array of strings");
            return;
        }

        draft.WrittenKeys.Add("config." + path[1].Name);
        if (ReadConfigValue(path, value) is { } configValue)
        {
            draft.Config.Add(new ConfigEntryDraft(new Located<string>(path[1].Name, path[1].Position), configValue));
        }
    }

    /// <summary>Reads a <c>[config_schema]</c> key.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    private void ReadConfigSchema(List<KeySegment> path, ValueSyntax value)
    {
        draft.HasConfigSchema = true;
        if (path.Count == 2)
        {
            if (value is InlineTableSyntax table)
            {
                draft.GetOrAddConfigField(path[1]);
                ReadInlineTable(path, table);
            }
            else
            {
                ReportTypeError(path, value, "a table with type, required, default and description");
            }

            return;
        }

        if (path.Count > 3 || !ConfigFieldKeys.Contains(path[2].Name))
        {
            ReportUnknownKey(path, 2, ConfigFieldKeys);
            return;
        }

        var field = draft.GetOrAddConfigField(path[1]);
        switch (path[2].Name)
        {
            case "type":
                field.TypeWritten = true;
                if (ReadString(path, value) is { } typeName)
                {
                    if (ConfigTypeNames.TryGetValue(typeName.Value, out var type))
                    {
                        field.Type = type;
                    }
                    else
                    {
                        diagnostics.Add(
                            typeName.Position,
                            $"unknown config type '{typeName.Value}' in {SectionLabel(path)}; allowed types: {string.Join(", ", ConfigTypeNames.Keys)}");
                    }
                }

                break;
            case "required":
                if (ReadBoolean(path, value) is { } required)
                {
                    field.Required = required.Value;
                }

                break;
            case "default":
                field.Default = ReadConfigValue(path, value);
                break;
            default:
                if (ReadString(path, value) is { } description)
                {
                    field.Description = description.Value;
                }

                break;
        }
    }

    /// <summary>Reads the items of an inline table as if they were written under the table's path.</summary>
    /// <param name="path">The path of the inline table.</param>
    /// <param name="table">The inline table.</param>
    private void ReadInlineTable(List<KeySegment> path, InlineTableSyntax table)
    {
        foreach (var item in table.Items)
        {
            var key = Segments(item.KeyValue?.Key);
            if (key.Count > 0 && item.KeyValue?.Value is { } value)
            {
                Dispatch([.. path, .. key], value);
            }
        }
    }

    /// <summary>Checks that a key of a flat section is a single known key, reporting it otherwise.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="allowed">The section's keys.</param>
    /// <param name="key">The key, when known.</param>
    /// <returns><see langword="true"/> when the key is known.</returns>
    private bool TryGetFlatKey(List<KeySegment> path, string[] allowed, out string key)
    {
        key = path[1].Name;
        if (path.Count == 2 && allowed.Contains(key))
        {
            draft.WrittenKeys.Add(path[0].Name + "." + key);
            return true;
        }

        ReportUnknownKey(path, 1, allowed);
        return false;
    }

    /// <summary>Reads a string value.</summary>
    /// <param name="path">The key path, for the diagnostic.</param>
    /// <param name="value">The value.</param>
    /// <returns>The string, or <see langword="null"/> after reporting a type error.</returns>
    private Located<string>? ReadString(List<KeySegment> path, ValueSyntax value)
    {
        if (value is StringValueSyntax text)
        {
            return new Located<string>(text.Value ?? string.Empty, SourcePosition.Of(value));
        }

        ReportTypeError(path, value, "a string");
        return null;
    }

    /// <summary>Reads a boolean value.</summary>
    /// <param name="path">The key path, for the diagnostic.</param>
    /// <param name="value">The value.</param>
    /// <returns>The boolean, or <see langword="null"/> after reporting a type error.</returns>
    private Located<bool>? ReadBoolean(List<KeySegment> path, ValueSyntax value)
    {
        if (value is BooleanValueSyntax flag)
        {
            return new Located<bool>(flag.Value, SourcePosition.Of(value));
        }

        ReportTypeError(path, value, "a boolean");
        return null;
    }

    /// <summary>Reads an integer value.</summary>
    /// <param name="path">The key path, for the diagnostic.</param>
    /// <param name="value">The value.</param>
    /// <returns>The integer, or <see langword="null"/> after reporting a type error.</returns>
    private Located<long>? ReadInteger(List<KeySegment> path, ValueSyntax value)
    {
        if (value is IntegerValueSyntax number)
        {
            return new Located<long>(number.Value, SourcePosition.Of(value));
        }

        ReportTypeError(path, value, "an integer");
        return null;
    }

    /// <summary>Reads an array of strings, reporting every item that is not a string.</summary>
    /// <param name="path">The key path, for the diagnostic.</param>
    /// <param name="value">The value.</param>
    /// <returns>The strings, or <see langword="null"/> after reporting an error.</returns>
    private List<Located<string>>? ReadStringList(List<KeySegment> path, ValueSyntax value)
    {
        if (value is not ArraySyntax array)
        {
            ReportTypeError(path, value, "an array of strings");
            return null;
        }

        var result = new List<Located<string>>();
        var valid = true;
        var index = 0;
        foreach (var item in array.Items)
        {
            index++;
            if (item.Value is StringValueSyntax text)
            {
                result.Add(new Located<string>(text.Value ?? string.Empty, SourcePosition.Of(text)));
            }
            else if (item.Value is not null)
            {
                diagnostics.Add(
                    SourcePosition.Of(item.Value),
                    $"{KeyLabel(path)} must be an array of strings, but item {index} is {Describe(item.Value)}");
                valid = false;
            }
        }

        return valid ? result : null;
    }

    /// <summary>Reads an array of value type names, reporting every unknown name.</summary>
    /// <param name="path">The key path, for the diagnostic.</param>
    /// <param name="value">The value.</param>
    /// <returns>The types, or <see langword="null"/> after reporting an error.</returns>
    private List<PluginValueType>? ReadValueTypes(List<KeySegment> path, ValueSyntax value)
    {
        if (ReadStringList(path, value) is not { } names)
        {
            return null;
        }

        var result = new List<PluginValueType>(names.Count);
        var valid = true;
        foreach (var name in names)
        {
            if (ValueTypeNames.TryGetValue(name.Value, out var type))
            {
                result.Add(type);
            }
            else
            {
                diagnostics.Add(
                    name.Position,
                    $"unknown value type '{name.Value}' in {KeyLabel(path)}; allowed types: {string.Join(", ", ValueTypeNames.Keys)}");
                valid = false;
            }
        }

        return valid ? result : null;
    }

    /// <summary>Reads a <c>[config]</c> value or schema default, typed by its TOML literal.</summary>
    /// <param name="path">The key path, for the diagnostic.</param>
    /// <param name="value">The value.</param>
    /// <returns>The value, or <see langword="null"/> after reporting an unsupported kind.</returns>
    private Located<ConfigValue>? ReadConfigValue(List<KeySegment> path, ValueSyntax value)
    {
        var position = SourcePosition.Of(value);
        switch (value)
        {
            case StringValueSyntax text:
                return new Located<ConfigValue>(new ConfigValue(ConfigFieldType.String, text.Value ?? string.Empty), position);
            case IntegerValueSyntax number:
                return new Located<ConfigValue>(new ConfigValue(ConfigFieldType.Integer, number.Value), position);
            case FloatValueSyntax number:
                return new Located<ConfigValue>(new ConfigValue(ConfigFieldType.Float, number.Value), position);
            case BooleanValueSyntax flag:
                return new Located<ConfigValue>(new ConfigValue(ConfigFieldType.Boolean, flag.Value), position);
            case ArraySyntax:
                return ReadStringList(path, value) is { } list
                    ? new Located<ConfigValue>(new ConfigValue(ConfigFieldType.StringArray, list.Select(item => item.Value).ToArray()), position)
                    : null;
            default:
                ReportTypeError(path, value, "a string, integer, float, boolean or array of strings");
                return null;
        }
    }

    /// <summary>Reports a key that is not in its section's schema, listing the keys that are.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="start">The index of the first segment of the key within <paramref name="path"/>.</param>
    /// <param name="allowed">The section's keys.</param>
    private void ReportUnknownKey(List<KeySegment> path, int start, string[] allowed) =>
        diagnostics.Add(
            path[start].Position,
            $"unknown key '{Join(path, start, path.Count)}' in [{Join(path, 0, start)}]; allowed keys: {string.Join(", ", allowed)}");

    /// <summary>Reports a value of the wrong TOML type, at the value.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="value">The value.</param>
    /// <param name="expected">The expected type, with article.</param>
    private void ReportTypeError(List<KeySegment> path, ValueSyntax value, string expected) =>
        diagnostics.Add(SourcePosition.Of(value), $"{KeyLabel(path)} must be {expected}, got {Describe(value)}");

    /// <summary>Describes a key for diagnostics as <c>key 'k' in [section]</c>.</summary>
    /// <param name="path">The key path.</param>
    /// <returns>The description.</returns>
    private static string KeyLabel(List<KeySegment> path) => $"key '{path[^1].Name}' in {SectionLabel(path)}";

    /// <summary>Describes the table a key belongs to, as <c>[section]</c>.</summary>
    /// <param name="path">The key path.</param>
    /// <returns>The description.</returns>
    private static string SectionLabel(List<KeySegment> path) => $"[{Join(path, 0, path.Count - 1)}]";

    /// <summary>Joins path segments with dots, as the author would write them.</summary>
    /// <param name="path">The key path.</param>
    /// <param name="start">The first segment.</param>
    /// <param name="end">One past the last segment.</param>
    /// <returns>The dotted name.</returns>
    private static string Join(List<KeySegment> path, int start, int end) =>
        string.Join('.', path.Skip(start).Take(end - start).Select(segment => segment.Name));

    /// <summary>Names the TOML type of a value, for "got …" in type errors.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The type name.</returns>
    private static string Describe(ValueSyntax value) => value switch
    {
        StringValueSyntax => "string",
        IntegerValueSyntax => "integer",
        FloatValueSyntax => "float",
        BooleanValueSyntax => "boolean",
        ArraySyntax => "array",
        InlineTableSyntax => "inline table",
        DateTimeValueSyntax => "date-time",
        _ => value.Kind.ToString(),
    };

    /// <summary>Flattens a table name or key into segments.</summary>
    /// <param name="key">The key, possibly missing in a tree with errors.</param>
    /// <returns>The segments; empty when the key is missing.</returns>
    private static List<KeySegment> Segments(KeySyntax? key)
    {
        var result = new List<KeySegment>();
        if (key?.Key is null)
        {
            return result;
        }

        result.Add(Segment(key.Key));
        foreach (var dotted in key.DotKeys)
        {
            if (dotted.Key is not null)
            {
                result.Add(Segment(dotted.Key));
            }
        }

        return result;
    }

    /// <summary>Reads one key segment; quoted keys are unquoted, and trivia is not part of a bare key's token.</summary>
    /// <param name="node">The bare or quoted key.</param>
    /// <returns>The segment.</returns>
    private static KeySegment Segment(BareKeyOrStringValueSyntax node)
    {
        var name = node switch
        {
            BareKeySyntax bare => bare.Key?.Text,
            StringValueSyntax quoted => quoted.Value,
            _ => null,
        };
        return new KeySegment(name ?? string.Empty, SourcePosition.Of(node));
    }
}

using SochDb.Isolated.Protocol.Manifest;

namespace SochDb.Isolated.Protocol.Tests;

public sealed class ManifestParserTests
{
    private const string Sample = """
        # comment lines
        [plugin]
        name = "pii-guard"
        version = "0.3.1"
        description = "Masks e-mail columns and counts writes"
        author = "Example Corp"
        license = "Apache-2.0"
        min_kernel_version = "2.1.0"

        [capabilities]
        can_read_table = ["customers", "audit_*"]
        can_write_table = ["audit_events"]
        can_vector_search = false
        can_index_search = true
        can_call_plugin = []

        [resources]
        memory_limit_mb = 32
        fuel_limit = 5000000
        timeout_ms = 250
        max_instances = 2

        [exports]
        functions = ["mask_row", "count_write", "init"]

        [hooks]
        before_insert = ["mask_row"]
        before_update = ["mask_row"]
        after_insert = ["count_write"]
        """;

    // Three lines, so text appended after it starts on line 4.
    private const string Minimal = """
        [plugin]
        name = "minimal"
        version = "1.0.0"
        """;

    private const string Schema = """
        [config_schema.mode]
        type = "string"
        required = true
        description = "how strict"

        [config_schema.limit]
        type = "integer"
        default = 25

        [config_schema.ratio]
        type = "float"
        default = 1

        [config_schema.columns]
        type = "string_array"
        default = ["email"]

        [config_schema.verbose]
        type = "boolean"
        """;

    private static string WithMinimal(string extra) => Minimal + "\n" + extra;

    private static PluginManifest AssertSuccess(ManifestParseResult result)
    {
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        Assert.Empty(result.Diagnostics);
        return Assert.IsType<PluginManifest>(result.Manifest);
    }

    private static ManifestDiagnostic AssertSingleError(ManifestParseResult result, string expectedFragment)
    {
        Assert.False(result.Success);
        Assert.Null(result.Manifest);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Contains(expectedFragment, diagnostic.Message, StringComparison.Ordinal);
        return diagnostic;
    }

    private static void AssertPosition(ManifestDiagnostic diagnostic, int line, int column)
    {
        Assert.Equal((line, column), (diagnostic.Line, diagnostic.Column));
    }

    [Fact]
    public void Parse_SampleManifest_YieldsEveryValue()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(Sample));

        Assert.Equal("pii-guard", manifest.Plugin.Name);
        Assert.Equal("0.3.1", manifest.Plugin.Version);
        Assert.Equal("Masks e-mail columns and counts writes", manifest.Plugin.Description);
        Assert.Equal("Example Corp", manifest.Plugin.Author);
        Assert.Equal("Apache-2.0", manifest.Plugin.License);
        Assert.Equal("2.1.0", manifest.Plugin.MinKernelVersion);
        Assert.Null(manifest.Plugin.Homepage);
        Assert.Null(manifest.Plugin.Repository);
        Assert.Null(manifest.Plugin.Wasm);

        Assert.Equal(["customers", "audit_*"], manifest.Capabilities.CanReadTable);
        Assert.Equal(["audit_events"], manifest.Capabilities.CanWriteTable);
        Assert.False(manifest.Capabilities.CanVectorSearch);
        Assert.True(manifest.Capabilities.CanIndexSearch);
        Assert.Empty(manifest.Capabilities.CanCallPlugin);

        Assert.Equal(32, manifest.Resources.MemoryLimitMb);
        Assert.Equal(5_000_000, manifest.Resources.FuelLimit);
        Assert.Equal(250, manifest.Resources.TimeoutMs);
        Assert.Equal(2, manifest.Resources.MaxInstances);
        Assert.Null(manifest.Resources.FuelBudget);

        Assert.Equal(["mask_row", "count_write", "init"], manifest.Exports.Functions);
        Assert.Empty(manifest.Exports.Signatures);

        Assert.Equal(["mask_row"], manifest.Hooks.BeforeInsert);
        Assert.Equal(["mask_row"], manifest.Hooks.BeforeUpdate);
        Assert.Equal(["count_write"], manifest.Hooks.AfterInsert);
        Assert.Empty(manifest.Hooks.AfterUpdate);
        Assert.Empty(manifest.Hooks.BeforeDelete);
        Assert.Empty(manifest.Hooks.AfterDelete);

        Assert.Empty(manifest.Config);
        Assert.Empty(manifest.ConfigSchema);
        Assert.Null(manifest.SourcePath);
        Assert.Null(manifest.WasmPath);
    }

    [Fact]
    public void Parse_EmptyManifest_Fails()
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(string.Empty), "[plugin]");

        Assert.Equal("<text>", diagnostic.File);
        AssertPosition(diagnostic, 1, 1);
    }

    [Fact]
    public void Parse_InvalidName_Fails()
    {
        var result = ManifestParser.Parse("""
            [plugin]
            name = "invalid name!"
            version = "1.0.0"
            """);

        var diagnostic = AssertSingleError(result, "invalid plugin name 'invalid name!': use letters, digits, '-' and '_'");
        AssertPosition(diagnostic, 2, 8);
    }

    [Theory]
    [InlineData("name = \"\"\nversion = \"1\"", "key 'name' in [plugin] must not be empty")]
    [InlineData("version = \"1\"", "missing required key 'name' in [plugin]")]
    [InlineData("name = \"x\"", "missing required key 'version' in [plugin]")]
    [InlineData("name = \"x\"\nversion = \"\"", "key 'version' in [plugin] must not be empty")]
    public void Parse_MissingOrEmptyIdentity_Fails(string pluginKeys, string expected)
    {
        AssertSingleError(ManifestParser.Parse("[plugin]\n" + pluginKeys), expected);
    }

    [Fact]
    public void Parse_MinimalManifest_SucceedsWithDefaults()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(Minimal));

        Assert.Equal("minimal", manifest.Plugin.Name);
        Assert.Equal("1.0.0", manifest.Plugin.Version);
        Assert.Equal(string.Empty, manifest.Plugin.Description);
        Assert.Equal(string.Empty, manifest.Plugin.Author);
        Assert.Equal(16, manifest.Resources.MemoryLimitMb);
        Assert.Equal(1_000_000, manifest.Resources.FuelLimit);
        Assert.Equal(100, manifest.Resources.TimeoutMs);
        Assert.Equal(4, manifest.Resources.MaxInstances);
        Assert.False(manifest.Capabilities.CanVectorSearch);
        Assert.False(manifest.Capabilities.CanIndexSearch);
        Assert.Empty(manifest.Capabilities.CanReadTable);
        Assert.Empty(manifest.Exports.Functions);
    }

    [Theory]
    [InlineData("memory_limit_mb", 2048, "between 1 and 1024")]
    [InlineData("memory_limit_mb", 0, "between 1 and 1024")]
    [InlineData("timeout_ms", 120000, "between 1 and 60000")]
    [InlineData("timeout_ms", 0, "between 1 and 60000")]
    [InlineData("fuel_limit", 0, "at least 1")]
    [InlineData("fuel_limit", -5, "at least 1")]
    [InlineData("max_instances", 0, "between 1 and 1024")]
    [InlineData("max_instances", 1025, "between 1 and 1024")]
    [InlineData("fuel_budget", 0, "at least 1")]
    public void Parse_ResourceOutOfRange_Fails(string key, long value, string expected)
    {
        var result = ManifestParser.Parse(WithMinimal($"[resources]\n{key} = {value}"));

        var diagnostic = AssertSingleError(result, expected);
        Assert.Contains($"{key} = {value}", diagnostic.Message, StringComparison.Ordinal);
        AssertPosition(diagnostic, 5, key.Length + 4);
    }

    [Fact]
    public void Parse_ResourcesAtLimits_Succeeds()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [resources]
            memory_limit_mb = 1024
            timeout_ms = 60000
            max_instances = 1024
            fuel_limit = 1
            fuel_budget = 1
            """)));

        Assert.Equal(ResourceLimits.MaxMemoryLimitMb, manifest.Resources.MemoryLimitMb);
        Assert.Equal(ResourceLimits.MaxTimeoutMs, manifest.Resources.TimeoutMs);
        Assert.Equal(1024, manifest.Resources.MaxInstances);
        Assert.Equal(1, manifest.Resources.FuelLimit);
        Assert.Equal(1, manifest.Resources.FuelBudget);
    }

    [Fact]
    public void Parse_HookNotExported_FailsAndPassesOnceExported()
    {
        const string Hooks = """
            [hooks]
            before_delete = ["audit"]
            """;

        var missing = ManifestParser.Parse(WithMinimal("[exports]\nfunctions = [\"other\"]\n" + Hooks));
        var diagnostic = AssertSingleError(missing, "hook function 'audit' in before_delete is not in [exports] functions");
        AssertPosition(diagnostic, 7, 18);

        var exported = AssertSuccess(ManifestParser.Parse(WithMinimal("[exports]\nfunctions = [\"other\", \"audit\"]\n" + Hooks)));
        Assert.Equal(["audit"], exported.Hooks.BeforeDelete);
    }

    [Fact]
    public void Parse_UnderscoreAndHexIntegers_ParseToValues()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [resources]
            fuel_limit = 10_000_000
            fuel_budget = 0x7FFF_FFFF
            memory_limit_mb = 0o40
            """)));

        Assert.Equal(10_000_000, manifest.Resources.FuelLimit);
        Assert.Equal(0x7FFF_FFFF, manifest.Resources.FuelBudget);
        Assert.Equal(32, manifest.Resources.MemoryLimitMb);
    }

    [Fact]
    public void Parse_MultiLineArraysWithCommentsAndTrailingComma_Succeeds()
    {
        var manifest = AssertSuccess(ManifestParser.Parse("""
            [plugin] # the plugin
            name = 'literal-name' # literal string
            version = "2.0"

            [capabilities]
            can_read_table = [
                "customers",   # main table
                'orders_*',    # literal pattern
                # a comment line inside the array
                "audit",
            ]

            [exports]
            functions = [
              "a",
              "b",
            ]
            """));

        Assert.Equal("literal-name", manifest.Plugin.Name);
        Assert.Equal(["customers", "orders_*", "audit"], manifest.Capabilities.CanReadTable);
        Assert.Equal(["a", "b"], manifest.Exports.Functions);
    }

    [Fact]
    public void Parse_UnknownKey_ReportsLineAndColumn()
    {
        var result = ManifestParser.Parse(WithMinimal("""
            [capabilities]
            can_read_table = ["a"]
              can_raed_table = ["b"]
            """), "plugins/pii/plugin.toml");

        var diagnostic = AssertSingleError(result, "unknown key 'can_raed_table' in [capabilities]");
        Assert.Equal("plugins/pii/plugin.toml", diagnostic.File);
        AssertPosition(diagnostic, 6, 3);
        Assert.Contains(
            "allowed keys: can_read_table, can_write_table, can_vector_search, can_index_search, can_call_plugin",
            diagnostic.Message,
            StringComparison.Ordinal);
        Assert.Equal($"plugins/pii/plugin.toml(6,3): {diagnostic.Message}", diagnostic.ToString());
    }

    [Theory]
    [InlineData("[plugin]\nname = \"x\"\nversion = \"1\"\nhomepage_url = \"h\"", 4, 1, "unknown key 'homepage_url' in [plugin]")]
    [InlineData("[plugin]\nname = \"x\"\nversion = \"1\"\n[resources]\nmemory = 1", 5, 1, "unknown key 'memory' in [resources]")]
    [InlineData("[plugin]\nname = \"x\"\nversion = \"1\"\n[hooks]\nbefore_upsert = []", 5, 1, "unknown key 'before_upsert' in [hooks]")]
    [InlineData("[plugin]\nname = \"x\"\nversion = \"1\"\n[exports]\nfunction = []", 5, 1, "unknown key 'function' in [exports]")]
    [InlineData("[plugin]\nname = \"x\"\nversion = \"1\"\nauthor.email = \"e\"", 4, 1, "unknown key 'author.email' in [plugin]")]
    public void Parse_UnknownKeyInSection_ReportsKey(string text, int line, int column, string expected)
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(text), expected);

        Assert.Contains("allowed keys: ", diagnostic.Message, StringComparison.Ordinal);
        AssertPosition(diagnostic, line, column);
    }

    [Fact]
    public void Parse_UnknownSection_ReportsSectionAndAllowedSections()
    {
        var result = ManifestParser.Parse(WithMinimal("""
            [capabilites]
            can_read_table = ["a"]
            """));

        var diagnostic = AssertSingleError(result, "unknown section [capabilites]");
        Assert.Contains("[capabilities]", diagnostic.Message, StringComparison.Ordinal);
        AssertPosition(diagnostic, 4, 2);
    }

    [Fact]
    public void Parse_UnknownSubSection_ReportsUnknownSegment()
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(WithMinimal("[plugin.extra]\nx = 1")), "unknown section [plugin.extra]");

        AssertPosition(diagnostic, 4, 9);
    }

    [Fact]
    public void Parse_RootLevelKey_Fails()
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse("name = \"x\"\n" + Minimal), "key 'name' is outside any section");

        AssertPosition(diagnostic, 1, 1);
    }

    [Fact]
    public void Parse_ArrayOfTables_Fails()
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(WithMinimal("[[hooks]]\nbefore_insert = []")), "array of tables [[hooks]] is not allowed");

        AssertPosition(diagnostic, 4, 1);
    }

    [Theory]
    [InlineData("[resources]\ntimeout_ms = \"100\"", 5, 14, "key 'timeout_ms' in [resources] must be an integer, got string")]
    [InlineData("[capabilities]\ncan_vector_search = 1", 5, 21, "key 'can_vector_search' in [capabilities] must be a boolean, got integer")]
    [InlineData("[capabilities]\ncan_read_table = \"customers\"", 5, 18, "key 'can_read_table' in [capabilities] must be an array of strings, got string")]
    [InlineData("[capabilities]\ncan_read_table = [\"a\", 2]", 5, 24, "key 'can_read_table' in [capabilities] must be an array of strings, but item 2 is integer")]
    [InlineData("[exports]\nfunctions = [true]", 5, 14, "key 'functions' in [exports] must be an array of strings, but item 1 is boolean")]
    [InlineData("[resources]\nfuel_limit = 1.5", 5, 14, "key 'fuel_limit' in [resources] must be an integer, got float")]
    public void Parse_WrongValueType_ReportsKeyExpectedAndActualType(string extra, int line, int column, string expected)
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(WithMinimal(extra)), expected);

        AssertPosition(diagnostic, line, column);
    }

    [Fact]
    public void Parse_PluginStringWithWrongType_ReportsTypeOnly()
    {
        var result = ManifestParser.Parse("[plugin]\nname = 42\nversion = \"1\"");

        var diagnostic = AssertSingleError(result, "key 'name' in [plugin] must be a string, got integer");
        AssertPosition(diagnostic, 2, 8);
    }

    [Fact]
    public void Parse_UnterminatedString_ReportsSyntaxErrorWithPosition()
    {
        var result = ManifestParser.Parse("""
            [plugin]
            name = "unterminated
            version = "1.0.0"
            """);

        Assert.Null(result.Manifest);
        Assert.NotEmpty(result.Diagnostics);
        var first = result.Diagnostics[0];
        Assert.StartsWith("TOML syntax error: ", first.Message, StringComparison.Ordinal);
        Assert.Contains("newline in a string", first.Message, StringComparison.Ordinal);
        AssertPosition(first, 2, 21);
    }

    [Fact]
    public void Parse_SyntaxError_ReportsOnlySyntaxErrorsInFileOrder()
    {
        var result = ManifestParser.Parse("[plugin]\nname = \"x\" \"y\"\nversion = \n");

        Assert.Null(result.Manifest);
        Assert.Equal(2, result.Diagnostics.Count);
        Assert.All(result.Diagnostics, d => Assert.StartsWith("TOML syntax error: ", d.Message, StringComparison.Ordinal));
        AssertPosition(result.Diagnostics[0], 2, 12);
        Assert.Equal(3, result.Diagnostics[1].Line);
    }

    [Fact]
    public void Parse_DuplicateKey_Fails()
    {
        var result = ManifestParser.Parse("[plugin]\nname = \"a\"\nversion = \"1\"\nname = \"b\"");

        var diagnostic = AssertSingleError(result, "plugin.name");
        AssertPosition(diagnostic, 4, 1);
    }

    [Fact]
    public void Parse_DuplicateSection_Fails()
    {
        var result = ManifestParser.Parse(WithMinimal("[hooks]\n[hooks]"));

        var diagnostic = AssertSingleError(result, "hooks");
        AssertPosition(diagnostic, 5, 1);
    }

    [Fact]
    public void Parse_SignatureTables_ParseToValueTypes()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [exports]
            functions = ["score", "hash", "tick"]

            [exports.signatures.score]
            params = ["i32", "i64", "f32", "f64"]
            returns = ["f64"]

            [exports.signatures.hash]
            params = ["bytes", "string"]
            returns = ["bytes"]

            [exports.signatures.tick]
            """)));

        Assert.Equal(3, manifest.Exports.Signatures.Count);
        Assert.Equal([PluginValueType.I32, PluginValueType.I64, PluginValueType.F32, PluginValueType.F64], manifest.Exports.Signatures["score"].Params);
        Assert.Equal([PluginValueType.F64], manifest.Exports.Signatures["score"].Returns);
        Assert.Equal([PluginValueType.Bytes, PluginValueType.String], manifest.Exports.Signatures["hash"].Params);
        Assert.Equal([PluginValueType.Bytes], manifest.Exports.Signatures["hash"].Returns);
        Assert.Empty(manifest.Exports.Signatures["tick"].Params);
        Assert.Empty(manifest.Exports.Signatures["tick"].Returns);
    }

    [Fact]
    public void Parse_InlineAndDottedSignatures_ParseToValueTypes()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [exports]
            functions = ["a", "b", "c"]
            signatures.a = { params = ["i32"], returns = ["i64"] }
            signatures.b.params = ["string"]
            signatures.b.returns = []
            signatures.c = { returns = ["f32"] }
            """)));

        Assert.Equal([PluginValueType.I32], manifest.Exports.Signatures["a"].Params);
        Assert.Equal([PluginValueType.I64], manifest.Exports.Signatures["a"].Returns);
        Assert.Equal([PluginValueType.String], manifest.Exports.Signatures["b"].Params);
        Assert.Empty(manifest.Exports.Signatures["b"].Returns);
        Assert.Empty(manifest.Exports.Signatures["c"].Params);
        Assert.Equal([PluginValueType.F32], manifest.Exports.Signatures["c"].Returns);
    }

    [Fact]
    public void Parse_NestedInlineSignatures_ParseToValueTypes()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [exports]
            functions = ["f"]
            signatures = { f = { params = ["i64", "bytes"], returns = ["i32"] } }
            """)));

        var signature = Assert.Single(manifest.Exports.Signatures).Value;
        Assert.Equal([PluginValueType.I64, PluginValueType.Bytes], signature.Params);
        Assert.Equal([PluginValueType.I32], signature.Returns);
    }

    [Theory]
    [InlineData("externref")]
    [InlineData("I32")]
    [InlineData("int")]
    public void Parse_UnknownValueTypeName_ReportsNameAndAllowedTypes(string typeName)
    {
        var result = ManifestParser.Parse(WithMinimal($"""
            [exports]
            functions = ["f"]
            [exports.signatures.f]
            params = ["i32", "{typeName}"]
            """));

        var diagnostic = AssertSingleError(result, $"unknown value type '{typeName}' in key 'params' in [exports.signatures.f]");
        Assert.Contains("allowed types: i32, i64, f32, f64, bytes, string", diagnostic.Message, StringComparison.Ordinal);
        AssertPosition(diagnostic, 7, 18);
    }

    [Fact]
    public void Parse_UnknownSignatureKey_ReportsAllowedKeys()
    {
        var result = ManifestParser.Parse(WithMinimal("""
            [exports]
            functions = ["f"]
            signatures.f = { params = [], results = [] }
            """));

        var diagnostic = AssertSingleError(result, "unknown key 'results' in [exports.signatures.f]; allowed keys: params, returns");
        AssertPosition(diagnostic, 6, 31);
    }

    [Fact]
    public void Parse_SignatureForUnexportedFunction_Fails()
    {
        var result = ManifestParser.Parse(WithMinimal("""
            [exports]
            functions = ["f"]
            [exports.signatures.g]
            params = []
            """));

        var diagnostic = AssertSingleError(result, "signature for 'g' in [exports.signatures] names a function that is not in [exports] functions");
        AssertPosition(diagnostic, 6, 21);
    }

    [Fact]
    public void Parse_DuplicateExportedFunction_Fails()
    {
        var result = ManifestParser.Parse(WithMinimal("[exports]\nfunctions = [\"f\", \"g\", \"f\"]"));

        var diagnostic = AssertSingleError(result, "duplicate function 'f' in [exports] functions");
        AssertPosition(diagnostic, 5, 24);
    }

    [Fact]
    public void Parse_InvalidCallPluginName_Fails()
    {
        var result = ManifestParser.Parse(WithMinimal("[capabilities]\ncan_call_plugin = [\"good-one_2\", \"bad/one\"]"));

        var diagnostic = AssertSingleError(result, "invalid plugin id 'bad/one' in can_call_plugin");
        AssertPosition(diagnostic, 5, 34);
    }

    [Theory]
    [InlineData("can_read_table")]
    [InlineData("can_write_table")]
    public void Parse_EmptyTablePattern_Fails(string key)
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(WithMinimal($"[capabilities]\n{key} = [\"ok\", \"\"]")), $"empty table pattern in {key}");

        AssertPosition(diagnostic, 5, key.Length + 11);
    }

    [Fact]
    public void Parse_ConfigWithoutSchema_KeepsLiteralTypes()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [config]
            mode = "strict"
            limit = 10
            ratio = 0.5
            enabled = true
            columns = ["email", "phone"]
            empty = []
            """)));

        Assert.Equal(new ConfigValue(ConfigFieldType.String, "strict"), manifest.Config["mode"]);
        Assert.Equal(new ConfigValue(ConfigFieldType.Integer, 10L), manifest.Config["limit"]);
        Assert.Equal(new ConfigValue(ConfigFieldType.Float, 0.5), manifest.Config["ratio"]);
        Assert.Equal(new ConfigValue(ConfigFieldType.Boolean, true), manifest.Config["enabled"]);
        Assert.Equal(ConfigFieldType.StringArray, manifest.Config["columns"].Type);
        Assert.Equal(["email", "phone"], Assert.IsType<string[]>(manifest.Config["columns"].Value));
        Assert.Empty(Assert.IsType<string[]>(manifest.Config["empty"].Value));
        Assert.Empty(manifest.ConfigSchema);
    }

    [Theory]
    [InlineData("when = 1979-05-27", "key 'when' in [config] must be a string, integer, float, boolean or array of strings, got date-time")]
    [InlineData("nested = { a = 1 }", "got inline table")]
    [InlineData("mixed = [\"a\", 1]", "key 'mixed' in [config] must be an array of strings, but item 2 is integer")]
    [InlineData("sub.key = 1", "key 'sub.key' in [config] is a nested table")]
    public void Parse_UnsupportedConfigValue_Fails(string entry, string expected)
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(WithMinimal("[config]\n" + entry)), expected);

        Assert.Equal(5, diagnostic.Line);
    }

    [Fact]
    public void Parse_ConfigWithSchema_FillsDefaultsAndKeepsFields()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("[config]\nmode = \"strict\"\nratio = 2\n" + Schema)));

        Assert.Equal(["mode", "limit", "ratio", "columns", "verbose"], manifest.ConfigSchema.Select(f => f.Name));
        var mode = manifest.ConfigSchema[0];
        Assert.Equal(ConfigFieldType.String, mode.Type);
        Assert.True(mode.Required);
        Assert.Null(mode.Default);
        Assert.Equal("how strict", mode.Description);
        Assert.Equal(new ConfigValue(ConfigFieldType.Integer, 25L), manifest.ConfigSchema[1].Default);
        Assert.Equal(new ConfigValue(ConfigFieldType.Float, 1.0), manifest.ConfigSchema[2].Default);

        Assert.Equal(new ConfigValue(ConfigFieldType.String, "strict"), manifest.Config["mode"]);
        Assert.Equal(new ConfigValue(ConfigFieldType.Integer, 25L), manifest.Config["limit"]);
        Assert.Equal(new ConfigValue(ConfigFieldType.Float, 2.0), manifest.Config["ratio"]);
        Assert.Equal(["email"], Assert.IsType<string[]>(manifest.Config["columns"].Value));
        Assert.False(manifest.Config.ContainsKey("verbose"));
        Assert.Equal(4, manifest.Config.Count);
    }

    [Fact]
    public void Parse_ConfigKeyNotInSchema_Fails()
    {
        var result = ManifestParser.Parse(WithMinimal("[config]\nmode = \"strict\"\nmoed = \"lax\"\n" + Schema));

        var diagnostic = AssertSingleError(result, "unknown config key 'moed': it is not declared in [config_schema]");
        Assert.Contains("declared fields: mode, limit, ratio, columns, verbose", diagnostic.Message, StringComparison.Ordinal);
        AssertPosition(diagnostic, 6, 1);
    }

    [Fact]
    public void Parse_RequiredConfigMissing_Fails()
    {
        var result = ManifestParser.Parse(WithMinimal("[config]\nlimit = 3\n" + Schema));

        var diagnostic = AssertSingleError(result, "missing required config key 'mode' declared in [config_schema.mode]");
        AssertPosition(diagnostic, 6, 16);
    }

    [Theory]
    [InlineData("mode = 5", "key 'mode' in [config] must be string as declared in [config_schema.mode], got integer")]
    [InlineData("mode = \"m\"\nlimit = 2.5", "key 'limit' in [config] must be integer as declared in [config_schema.limit], got float")]
    [InlineData("mode = \"m\"\ncolumns = \"email\"", "key 'columns' in [config] must be array of strings as declared in [config_schema.columns], got string")]
    [InlineData("mode = \"m\"\nverbose = \"yes\"", "key 'verbose' in [config] must be boolean as declared in [config_schema.verbose], got string")]
    public void Parse_ConfigTypeMismatch_Fails(string config, string expected)
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(WithMinimal("[config]\n" + config + "\n" + Schema)), expected);

        Assert.Equal(4 + config.Split('\n').Length, diagnostic.Line);
    }

    [Theory]
    [InlineData("type = \"integer\"\ndefault = \"ten\"", "key 'default' in [config_schema.f] must be integer, got string")]
    [InlineData("type = \"int\"", "unknown config type 'int' in [config_schema.f]; allowed types: string, integer, float, boolean, string_array")]
    [InlineData("required = true", "config_schema field 'f' is missing required key 'type'")]
    [InlineData("type = \"string\"\nmin = 1", "unknown key 'min' in [config_schema.f]; allowed keys: type, required, default, description")]
    [InlineData("type = \"boolean\"\nrequired = \"yes\"", "key 'required' in [config_schema.f] must be a boolean, got string")]
    public void Parse_InvalidConfigSchema_Fails(string fieldKeys, string expected)
    {
        AssertSingleError(ManifestParser.Parse(WithMinimal("[config_schema.f]\n" + fieldKeys)), expected);
    }

    [Fact]
    public void Parse_InlineConfigSchema_Succeeds()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(WithMinimal("""
            [config_schema]
            level = { type = "integer", default = 3 }
            """)));

        var field = Assert.Single(manifest.ConfigSchema);
        Assert.Equal("level", field.Name);
        Assert.Equal(ConfigFieldType.Integer, field.Type);
        Assert.Equal(new ConfigValue(ConfigFieldType.Integer, 3L), manifest.Config["level"]);
    }

    [Fact]
    public void Parse_MultipleProblems_ReportsAllInFileOrder()
    {
        var result = ManifestParser.Parse("""
            [hooks]
            before_insert = ["missing"]

            [plugin]
            name = "bad name"
            version = "1"
            colour = "blue"

            [resources]
            timeout_ms = 0
            """);

        Assert.Null(result.Manifest);
        Assert.Equal([(2, 18), (5, 8), (7, 1), (10, 14)], result.Diagnostics.Select(d => (d.Line, d.Column)));
        Assert.Contains("hook function 'missing'", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("invalid plugin name 'bad name'", result.Diagnostics[1].Message, StringComparison.Ordinal);
        Assert.Contains("unknown key 'colour'", result.Diagnostics[2].Message, StringComparison.Ordinal);
        Assert.Contains("timeout_ms = 0", result.Diagnostics[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MutatedManifests_NeverThrowAndStayConsistent()
    {
        const string Alphabet = "[]{}=,.\"'#\n \\0x_-:1aZ";
        var random = new Random(20240601);
        for (var i = 0; i < 3000; i++)
        {
            var text = new System.Text.StringBuilder(Sample);
            for (var edits = random.Next(1, 6); edits > 0; edits--)
            {
                var at = random.Next(text.Length);
                if (random.Next(2) == 0)
                {
                    text.Remove(at, 1);
                }
                else
                {
                    text.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                }
            }

            var result = ManifestParser.Parse(text.ToString());

            Assert.Equal(result.Manifest is null, result.Diagnostics.Count > 0);
            Assert.All(result.Diagnostics, d => Assert.True(d.Line >= 1 && d.Column >= 1, d.ToString()));
        }
    }

    [Fact]
    public void Parse_WasmWithoutSourcePath_ResolvesAgainstCurrentDirectory()
    {
        var manifest = AssertSuccess(ManifestParser.Parse(Minimal + "\nwasm = \"mod/p.wasm\""));

        Assert.Equal("mod/p.wasm", manifest.Plugin.Wasm);
        Assert.Equal(Path.GetFullPath(Path.Combine(Directory.GetCurrentDirectory(), "mod/p.wasm")), manifest.WasmPath);
    }

    [Fact]
    public void Parse_EmptyWasm_Fails()
    {
        var diagnostic = AssertSingleError(ManifestParser.Parse(Minimal + "\nwasm = \"\""), "key 'wasm' in [plugin] must name a module file");

        AssertPosition(diagnostic, 4, 8);
    }

    [Fact]
    public async Task ParseFileAsync_RelativeWasm_ResolvesAgainstManifestFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "sochdb-manifest-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "plugin.toml");
            await File.WriteAllTextAsync(path, Minimal + "\nwasm = \"plugin.wasm\"\nhomepage = \"https://example.test\"\n");

            var manifest = AssertSuccess(await ManifestParser.ParseFileAsync(path));

            Assert.Equal("plugin.wasm", manifest.Plugin.Wasm);
            Assert.Equal(Path.Combine(folder, "plugin.wasm"), manifest.WasmPath);
            Assert.NotEqual(Path.GetFullPath("plugin.wasm"), manifest.WasmPath);
            Assert.Equal(path, manifest.SourcePath);
            Assert.Equal("https://example.test", manifest.Plugin.Homepage);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ParseFileAsync_InvalidFile_ReportsFileName()
    {
        var path = Path.Combine(Path.GetTempPath(), "sochdb-manifest-" + Guid.NewGuid().ToString("N") + ".toml");
        await File.WriteAllTextAsync(path, "[plugin]\nname = \"x\"\nversion = \"1\"\nbogus = 1\n");
        try
        {
            var result = await ManifestParser.ParseFileAsync(path);

            var diagnostic = AssertSingleError(result, "unknown key 'bogus' in [plugin]");
            Assert.Equal(path, diagnostic.File);
            AssertPosition(diagnostic, 4, 1);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task ParseFileAsync_MissingFile_ReportsPathAndReason()
    {
        var path = Path.Combine(Path.GetTempPath(), "sochdb-missing-" + Guid.NewGuid().ToString("N"), "plugin.toml");

        var result = await ManifestParser.ParseFileAsync(path);

        var diagnostic = AssertSingleError(result, $"cannot read manifest '{path}': ");
        Assert.Equal(path, diagnostic.File);
        AssertPosition(diagnostic, 1, 1);
        Assert.Contains("Could not find", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseFileAsync_Canceled_Throws()
    {
        var path = Path.Combine(Path.GetTempPath(), "sochdb-manifest-" + Guid.NewGuid().ToString("N") + ".toml");
        await File.WriteAllTextAsync(path, Minimal);
        try
        {
            using var cts = new CancellationTokenSource();
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ManifestParser.ParseFileAsync(path, cts.Token));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

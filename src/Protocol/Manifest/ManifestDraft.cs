namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>Everything read from a manifest's syntax tree, with positions, before validation.</summary>
/// <remarks>
/// Reading and validating are separate so cross-section rules (hooks vs exports, config vs schema) see the whole
/// file regardless of section order; positions are kept so those rules can still point at the offending value.
/// </remarks>
internal sealed class ManifestDraft
{
    /// <summary>Gets or sets where the first <c>[plugin]</c> header is, which anchors "missing key" diagnostics.</summary>
    public SourcePosition? PluginSection { get; set; }

    /// <summary>Gets the dotted paths (e.g. <c>plugin.name</c>, <c>config.level</c>) of keys that were written, valid or not, so a rejected value is not reported again as missing.</summary>
    public HashSet<string> WrittenKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the string keys of <c>[plugin]</c>, by key.</summary>
    public Dictionary<string, Located<string>> Plugin { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the string-array keys of <c>[capabilities]</c>, <c>[hooks]</c> and <c>[exports]</c>, by dotted path.</summary>
    public Dictionary<string, IReadOnlyList<Located<string>>> StringLists { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the boolean keys of <c>[capabilities]</c>, by key.</summary>
    public Dictionary<string, bool> Flags { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the <c>[hooks] failure</c> value, if written.</summary>
    public Located<string>? HookFailure { get; set; }

    /// <summary>Gets the integer keys of <c>[resources]</c>, by key.</summary>
    public Dictionary<string, Located<long>> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the signatures, in file order.</summary>
    public List<SignatureDraft> Signatures { get; } = [];

    /// <summary>Gets the <c>[config]</c> values, in file order.</summary>
    public List<ConfigEntryDraft> Config { get; } = [];

    /// <summary>Gets or sets a value indicating whether any <c>[config_schema]</c> table was written, even an empty one.</summary>
    public bool HasConfigSchema { get; set; }

    /// <summary>Gets the config schema fields, in file order.</summary>
    public List<ConfigFieldDraft> ConfigSchema { get; } = [];

    /// <summary>Returns a string list, or an empty one when the key was absent.</summary>
    /// <param name="path">The dotted path, e.g. <c>hooks.before_insert</c>.</param>
    /// <returns>The list.</returns>
    public IReadOnlyList<Located<string>> GetList(string path) =>
        StringLists.TryGetValue(path, out var list) ? list : [];

    /// <summary>Returns the signature for a function, adding it on first mention.</summary>
    /// <param name="name">The function name and where it was mentioned.</param>
    /// <returns>The signature draft.</returns>
    public SignatureDraft GetOrAddSignature(KeySegment name)
    {
        var existing = Signatures.Find(s => s.Name.Value == name.Name);
        if (existing is not null)
        {
            return existing;
        }

        var created = new SignatureDraft(new Located<string>(name.Name, name.Position));
        Signatures.Add(created);
        return created;
    }

    /// <summary>Returns the schema field for a name, adding it on first mention.</summary>
    /// <param name="name">The field name and where it was mentioned.</param>
    /// <returns>The field draft.</returns>
    public ConfigFieldDraft GetOrAddConfigField(KeySegment name)
    {
        HasConfigSchema = true;
        var existing = ConfigSchema.Find(f => f.Name.Value == name.Name);
        if (existing is not null)
        {
            return existing;
        }

        var created = new ConfigFieldDraft(new Located<string>(name.Name, name.Position));
        ConfigSchema.Add(created);
        return created;
    }
}

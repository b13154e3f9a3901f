namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>A config schema field as read from <c>[config_schema.&lt;name&gt;]</c>, before validation.</summary>
internal sealed class ConfigFieldDraft
{
    /// <summary>Initializes a new instance of the <see cref="ConfigFieldDraft"/> class.</summary>
    /// <param name="name">The field name and where it was declared.</param>
    public ConfigFieldDraft(Located<string> name) => Name = name;

    /// <summary>Gets the field name and where it was declared, which anchors "missing" diagnostics.</summary>
    public Located<string> Name { get; }

    /// <summary>Gets or sets the declared type, or <see langword="null"/> when absent or unreadable.</summary>
    public ConfigFieldType? Type { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a <c>type</c> key was written, even if invalid, so a bad type is
    /// not reported a second time as missing.
    /// </summary>
    public bool TypeWritten { get; set; }

    /// <summary>Gets or sets a value indicating whether <c>[config]</c> must set the field.</summary>
    public bool Required { get; set; }

    /// <summary>Gets or sets the default as read, not yet checked against <see cref="Type"/>.</summary>
    public Located<ConfigValue>? Default { get; set; }

    /// <summary>Gets or sets the description.</summary>
    public string? Description { get; set; }
}

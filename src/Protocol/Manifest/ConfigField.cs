namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>One field of the manifest's config schema (<c>[config_schema.&lt;name&gt;]</c>).</summary>
public sealed class ConfigField
{
    /// <summary>Gets the field name (the key under <c>[config]</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the field type (<c>type = "string" | "integer" | "float" | "boolean" | "string_array"</c>).</summary>
    public required ConfigFieldType Type { get; init; }

    /// <summary>Gets a value indicating whether <c>[config]</c> must set the field (when it has no default).</summary>
    public bool Required { get; init; }

    /// <summary>Gets the default used when <c>[config]</c> does not set the field.</summary>
    public ConfigValue? Default { get; init; }

    /// <summary>Gets the description.</summary>
    public string? Description { get; init; }
}

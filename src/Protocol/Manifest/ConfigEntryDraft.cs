namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>A <c>[config]</c> value as read, before it is checked against the schema.</summary>
/// <param name="Name">The key and where it was written.</param>
/// <param name="Value">The value, typed by its TOML literal, and where it was written.</param>
internal sealed record ConfigEntryDraft(Located<string> Name, Located<ConfigValue> Value);

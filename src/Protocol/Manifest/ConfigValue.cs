namespace SochDb.Isolated.Protocol.Manifest;

/// <summary>A value from the manifest's <c>[config]</c> section.</summary>
/// <param name="Type">The value's type.</param>
/// <param name="Value">The value: a <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/> or <c>string[]</c>.</param>
public sealed record ConfigValue(ConfigFieldType Type, object Value);

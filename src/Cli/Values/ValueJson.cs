using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Values;

/// <summary>
/// The JSON form of a plugin value, shared by <c>run --json</c> and the <c>serve</c> protocol:
/// <c>{"type": "i32"|"i64"|"f32"|"f64"|"bytes"|"string", "value": …}</c>. An <c>i64</c> is accepted as a number or a
/// decimal string and always written as a string (JSON numbers lose precision past 2^53); <c>bytes</c> are base64.
/// </summary>
internal static class ValueJson
{
    /// <summary>Gets the wire name of a type.</summary>
    /// <param name="type">The type.</param>
    /// <returns>The lower-case name.</returns>
    public static string TypeName(PluginValueType type) => type switch
    {
        PluginValueType.I32 => "i32",
        PluginValueType.I64 => "i64",
        PluginValueType.F32 => "f32",
        PluginValueType.F64 => "f64",
        PluginValueType.Bytes => "bytes",
        PluginValueType.String => "string",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown value type."),
    };

    /// <summary>Writes a value as a JSON object.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject Write(PluginValue value)
    {
        JsonNode? node = value.Type switch
        {
            PluginValueType.I32 => JsonValue.Create(value.AsI32()!.Value),
            PluginValueType.I64 => JsonValue.Create(value.AsI64()!.Value.ToString(CultureInfo.InvariantCulture)),
            PluginValueType.F32 => WriteFloat(value.AsF32()!.Value),
            PluginValueType.F64 => WriteFloat(value.AsF64()!.Value),
            PluginValueType.String => JsonValue.Create(value.AsString()),
            _ => JsonValue.Create(Convert.ToBase64String(value.AsBytes()!.Value.Span)),
        };
        return new JsonObject { ["type"] = TypeName(value.Type), ["value"] = node };
    }

    /// <summary>Reads a value from its JSON object form.</summary>
    /// <param name="element">The JSON element.</param>
    /// <returns>The value.</returns>
    /// <exception cref="FormatException">The element is not a valid value; the message says why.</exception>
    public static PluginValue Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("a value must be an object {\"type\": ..., \"value\": ...}");
        }

        if (!element.TryGetProperty("value", out var raw))
        {
            throw new FormatException("a value needs a \"value\"");
        }

        var type = typeElement.GetString()!;
        if (type is not ("i32" or "i64" or "f32" or "f64" or "string" or "bytes"))
        {
            throw new FormatException($"unknown value type '{type}' (use i32, i64, f32, f64, bytes or string)");
        }

        try
        {
            return type switch
            {
                "i32" => PluginValue.I32(raw.GetInt32()),
                "i64" => PluginValue.I64(raw.ValueKind == JsonValueKind.String ? long.Parse(raw.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : raw.GetInt64()),
                "f32" => PluginValue.F32(raw.ValueKind == JsonValueKind.String ? ParseSpecialFloat(raw.GetString()!) : raw.GetSingle()),
                "f64" => PluginValue.F64(raw.ValueKind == JsonValueKind.String ? ParseSpecialDouble(raw.GetString()!) : raw.GetDouble()),
                "string" => PluginValue.String(raw.GetString() ?? throw new FormatException("a string value must be a JSON string")),
                _ => PluginValue.Bytes(Convert.FromBase64String(raw.GetString() ?? throw new FormatException("a bytes value must be a base64 string"))),
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or OverflowException or FormatException)
        {
            throw new FormatException($"'{raw.GetRawText()}' is not a valid {type}", ex);
        }
    }

    /// <summary>Parses the command line's <c>type:value</c> form.</summary>
    /// <param name="text">The argument, e.g. <c>i32:5</c>, <c>string:hello</c>, <c>bytes:aGk=</c> or <c>bytes:@file.bin</c>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="FormatException">The text is not a valid value; the message says why.</exception>
    public static PluginValue ParseArgument(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FormatException($"'{text}' is not TYPE:VALUE (types: i32, i64, f32, f64, string, bytes)");
        }

        var type = text[..colon];
        var value = text[(colon + 1)..];
        if (type is not ("i32" or "i64" or "f32" or "f64" or "string" or "bytes"))
        {
            throw new FormatException($"unknown type '{type}' in '{text}' (types: i32, i64, f32, f64, string, bytes)");
        }

        try
        {
            return type switch
            {
                "i32" => PluginValue.I32(int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
                "i64" => PluginValue.I64(long.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
                "f32" => PluginValue.F32(float.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture)),
                "f64" => PluginValue.F64(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture)),
                "string" => PluginValue.String(value),
                "bytes" when value.StartsWith('@') => PluginValue.Bytes(File.ReadAllBytes(value[1..])),
                _ => PluginValue.Bytes(Convert.FromBase64String(value)),
            };
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"'{text}' is not a valid {type}: {ex.Message}", ex);
        }
    }

    /// <summary>Formats a value for a terminal.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Display(PluginValue value) => value.Type switch
    {
        PluginValueType.String => JsonSerializer.Serialize(value.AsString()),
        PluginValueType.Bytes => $"{value.AsBytes()!.Value.Length} bytes (base64 {Convert.ToBase64String(value.AsBytes()!.Value.Span)})",
        _ => value.ToString(),
    };

    private static JsonValue WriteFloat(double value)
        => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    private static float ParseSpecialFloat(string text) => (float)ParseSpecialDouble(text);

    private static double ParseSpecialDouble(string text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}

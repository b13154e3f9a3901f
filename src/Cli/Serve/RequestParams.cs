using System.Globalization;
using System.Text.Json;
using SochDb.Isolated.Cli.Values;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// A request's named parameters, read with messages that name the offending parameter. Unknown members are ignored,
/// so a newer client can send fields an older server does not know.
/// </summary>
internal sealed class RequestParams
{
    private readonly JsonElement element;

    /// <summary>Initializes a new instance of the <see cref="RequestParams"/> class.</summary>
    /// <param name="element">The <c>params</c> member: an object, or absent/null for none.</param>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: positional (array) params.</exception>
    public RequestParams(JsonElement element)
    {
        if (element.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
        {
            throw JsonRpcException.InvalidParams("params", "must be an object of named parameters (positional params are not supported)");
        }

        this.element = element;
    }

    /// <summary>Gets a required, non-empty string parameter.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: missing, not a string, or empty.</exception>
    public string RequiredString(string name)
        => OptionalString(name) ?? throw JsonRpcException.InvalidParams(name, "is required (a non-empty string)");

    /// <summary>Gets an optional, non-empty string parameter.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value, or <see langword="null"/> when absent or null.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: not a string, or empty.</exception>
    public string? OptionalString(string name)
    {
        if (!TryGet(name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw JsonRpcException.InvalidParams(name, $"must be a string, not {Describe(value.ValueKind)}");
        }

        var text = value.GetString()!;
        return text.Length > 0 ? text : throw JsonRpcException.InvalidParams(name, "must not be empty");
    }

    /// <summary>Gets an optional array of plugin values in their JSON form (<see cref="ValueJson"/>).</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The values; empty when absent or null.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: not an array, or an element is not a valid value (named <c>name[i]</c>).</exception>
    public IReadOnlyList<PluginValue> Values(string name)
    {
        if (!TryGet(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw JsonRpcException.InvalidParams(name, $"must be an array of values, not {Describe(value.ValueKind)}");
        }

        var values = new List<PluginValue>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            try
            {
                values.Add(ValueJson.Read(item));
            }
            catch (FormatException ex)
            {
                throw JsonRpcException.InvalidParams(string.Create(CultureInfo.InvariantCulture, $"{name}[{values.Count}]"), $"is not a valid value: {ex.Message}");
            }
        }

        return values;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private bool TryGet(string name, out JsonElement value)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }
}

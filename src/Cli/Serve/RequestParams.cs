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

    /// <summary>Gets a required array of argument rows, each an array of plugin values in their JSON form (<see cref="ValueJson"/>).</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: missing, not an array of arrays, or an element is not a valid value (named <c>name[i][j]</c>).</exception>
    public IReadOnlyList<IReadOnlyList<PluginValue>> ValueRows(string name)
    {
        if (!TryGet(name, out var value))
        {
            throw JsonRpcException.InvalidParams(name, "is required (an array of argument arrays)");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw JsonRpcException.InvalidParams(name, $"must be an array of argument arrays, not {Describe(value.ValueKind)}");
        }

        var rows = new List<IReadOnlyList<PluginValue>>(value.GetArrayLength());
        foreach (var row in value.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array)
            {
                throw JsonRpcException.InvalidParams(string.Create(CultureInfo.InvariantCulture, $"{name}[{rows.Count}]"), $"must be an array of values, not {Describe(row.ValueKind)}");
            }

            var values = new List<PluginValue>(row.GetArrayLength());
            foreach (var item in row.EnumerateArray())
            {
                try
                {
                    values.Add(ValueJson.Read(item));
                }
                catch (FormatException ex)
                {
                    throw JsonRpcException.InvalidParams(string.Create(CultureInfo.InvariantCulture, $"{name}[{rows.Count}][{values.Count}]"), $"is not a valid value: {ex.Message}");
                }
            }

            rows.Add(values);
        }

        return rows;
    }

    /// <summary>Gets a required 64-bit integer given as a JSON number or a decimal string (JSON numbers lose precision past 2^53).</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: missing or not an integer.</exception>
    public long RequiredInt64(string name)
    {
        if (!TryGet(name, out var value))
        {
            throw JsonRpcException.InvalidParams(name, "is required (an integer, or a decimal string)");
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw JsonRpcException.InvalidParams(name, "must be a 64-bit integer (a number or a decimal string)");
    }

    /// <summary>Gets an optional 32-bit integer within a range.</summary>
    /// <param name="name">The parameter.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="min">The smallest allowed value.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: not an integer in range.</exception>
    public int OptionalInt32(string name, int defaultValue, int min, int max)
    {
        if (!TryGet(name, out var value))
        {
            return defaultValue;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max
            ? number
            : throw JsonRpcException.InvalidParams(name, string.Create(CultureInfo.InvariantCulture, $"must be an integer from {min} to {max}"));
    }

    /// <summary>Gets an optional boolean.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The value; <see langword="false"/> when absent.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: not a boolean.</exception>
    public bool OptionalBoolean(string name)
    {
        if (!TryGet(name, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw JsonRpcException.InvalidParams(name, $"must be a boolean, not {Describe(value.ValueKind)}"),
        };
    }

    /// <summary>Gets a required base64 byte string.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: missing, or not base64.</exception>
    public byte[] RequiredBase64(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw JsonRpcException.InvalidParams(name, "is required (a base64 string)");
        }

        try
        {
            return Convert.FromBase64String(value.GetString()!);
        }
        catch (FormatException)
        {
            throw JsonRpcException.InvalidParams(name, "is not valid base64");
        }
    }

    /// <summary>Gets a required, non-empty array of finite numbers as a vector.</summary>
    /// <param name="name">The parameter.</param>
    /// <returns>The vector.</returns>
    /// <exception cref="JsonRpcException"><see cref="JsonRpcErrorCodes.InvalidParams"/>: missing, empty, or not all finite numbers.</exception>
    public float[] RequiredVector(string name)
    {
        if (!TryGet(name, out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw JsonRpcException.InvalidParams(name, "is required (a non-empty array of numbers)");
        }

        var vector = new float[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !float.IsFinite(vector[i] = item.GetSingle()))
            {
                throw JsonRpcException.InvalidParams(string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]"), "must be a finite number");
            }

            i++;
        }

        return vector;
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

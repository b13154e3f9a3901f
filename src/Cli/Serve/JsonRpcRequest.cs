using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// A request or notification, validated against JSON-RPC 2.0. Owns the parsed document: dispose it when the request
/// has been answered.
/// </summary>
internal sealed class JsonRpcRequest : IDisposable
{
    private readonly JsonDocument document;

    private JsonRpcRequest(JsonDocument document, JsonElement? id, string method, JsonElement parameters)
    {
        this.document = document;
        Id = id;
        Method = method;
        Params = parameters;
    }

    /// <summary>Gets the request's id (a string, number or null element), or <see langword="null"/> for a notification.</summary>
    public JsonElement? Id { get; }

    /// <summary>Gets a value indicating whether this is a notification, which gets no response.</summary>
    public bool IsNotification => Id is null;

    /// <summary>Gets the method name.</summary>
    public string Method { get; }

    /// <summary>Gets the <c>params</c> member; <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonElement Params { get; }

    /// <summary>Parses and validates a frame's body.</summary>
    /// <param name="body">The UTF-8 JSON.</param>
    /// <param name="request">The request, when valid.</param>
    /// <param name="error">Why it is not a valid request (<see cref="JsonRpcErrorCodes.ParseError"/> or <see cref="JsonRpcErrorCodes.InvalidRequest"/>).</param>
    /// <param name="errorId">The id to answer the error with: the request's, when it could be read; otherwise <see langword="null"/> (JSON null).</param>
    /// <returns><see langword="true"/> when <paramref name="request"/> is set.</returns>
    public static bool TryParse(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out JsonRpcRequest? request, [NotNullWhen(false)] out JsonRpcException? error, out JsonElement? errorId)
    {
        request = null;
        errorId = null;

        // JsonDocument checks UTF-8 only when a string is read (GetString throws later, anywhere); check it all now.
        if (!Utf8.IsValid(body.Span))
        {
            error = new JsonRpcException(JsonRpcErrorCodes.ParseError, "parse error: the body is not valid UTF-8");
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            error = new JsonRpcException(JsonRpcErrorCodes.ParseError, $"parse error: {ex.Message}");
            return false;
        }

        var root = document.RootElement;
        error = Validate(root, out var id, out var method, out var parameters);
        if (error is not null)
        {
            errorId = id?.Clone();
            document.Dispose();
            return false;
        }

        request = new JsonRpcRequest(document, id, method!, parameters);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => document.Dispose();

    private static JsonRpcException? Validate(JsonElement root, out JsonElement? id, out string? method, out JsonElement parameters)
    {
        id = null;
        method = null;
        parameters = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Invalid(root.ValueKind == JsonValueKind.Array
                ? "batch requests are not supported: send one request per frame"
                : "a request must be a JSON object");
        }

        if (root.TryGetProperty("id", out var idElement))
        {
            if (idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            {
                return Invalid("'id' must be a string, a number or null");
            }

            id = idElement;
        }

        if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
        {
            return Invalid("'jsonrpc' must be \"2.0\"");
        }

        if (!root.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
        {
            return Invalid("'method' must be a string");
        }

        method = methodElement.GetString()!;
        if (root.TryGetProperty("params", out var paramsElement))
        {
            // Arrays are valid JSON-RPC (positional params) and are refused later with -32602; anything else is not a request.
            if (paramsElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
            {
                return Invalid("'params' must be an object");
            }

            parameters = paramsElement;
        }

        return null;
    }

    private static JsonRpcException Invalid(string message) => new(JsonRpcErrorCodes.InvalidRequest, "invalid request: " + message);
}

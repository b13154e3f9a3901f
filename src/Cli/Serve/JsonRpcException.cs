using System.Text.Json.Nodes;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>A protocol-level failure of one request (bad params, unknown method), answered as a JSON-RPC error.</summary>
internal sealed class JsonRpcException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="JsonRpcException"/> class.</summary>
    /// <param name="code">The JSON-RPC error code, one of <see cref="JsonRpcErrorCodes"/>.</param>
    /// <param name="message">The error message.</param>
    /// <param name="errorData">The error's <c>data</c> member, if any.</param>
    public JsonRpcException(int code, string message, JsonObject? errorData = null)
        : base(message)
    {
        Code = code;
        ErrorData = errorData;
    }

    /// <summary>Gets the JSON-RPC error code.</summary>
    public int Code { get; }

    /// <summary>Gets the error's <c>data</c> member, or <see langword="null"/> for none.</summary>
    public JsonObject? ErrorData { get; }

    /// <summary>Creates the error for a missing or malformed parameter.</summary>
    /// <param name="param">The parameter's name, e.g. <c>id</c> or <c>args[1]</c>.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <returns>The exception.</returns>
    public static JsonRpcException InvalidParams(string param, string problem)
        => new(JsonRpcErrorCodes.InvalidParams, $"invalid params: '{param}' {problem}", new JsonObject { ["param"] = param });
}

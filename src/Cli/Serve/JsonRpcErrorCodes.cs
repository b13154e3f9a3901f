namespace SochDb.Isolated.Cli.Serve;

/// <summary>The JSON-RPC 2.0 error codes the <c>serve</c> protocol answers with.</summary>
internal static class JsonRpcErrorCodes
{
    /// <summary>The frame's body is not JSON, or the frame itself is unreadable.</summary>
    public const int ParseError = -32700;

    /// <summary>The JSON is not a valid request object, or the frame is over the size limit.</summary>
    public const int InvalidRequest = -32600;

    /// <summary>No such method, or a method that is reserved but not available yet.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>A parameter is missing or has the wrong type or form.</summary>
    public const int InvalidParams = -32602;

    /// <summary>A bug in the server; the message says what failed.</summary>
    public const int InternalError = -32603;

    /// <summary>The plugin runtime refused or failed the call; <c>data.kind</c> names the <c>ErrorKind</c>.</summary>
    public const int PluginError = -32000;
}

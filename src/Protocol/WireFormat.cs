namespace SochDb.Isolated.Protocol;

/// <summary>How JSON-RPC messages are encoded and framed on the supervisor–worker channel.</summary>
/// <remarks>See <c>docs/benchmarks.md</c> for the measurements behind the default.</remarks>
public enum WireFormat
{
    /// <summary>MessagePack bodies behind a 4-byte big-endian length prefix (the default: fastest measured).</summary>
    MessagePackLengthPrefixed = 0,

    /// <summary>UTF-8 JSON (System.Text.Json) behind a 4-byte length prefix.</summary>
    JsonLengthPrefixed = 1,

    /// <summary>UTF-8 JSON (System.Text.Json) behind LSP-style <c>Content-Length</c> headers.</summary>
    JsonHeaders = 2,
}

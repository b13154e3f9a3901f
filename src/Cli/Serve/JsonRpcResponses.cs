using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>Serializes JSON-RPC 2.0 responses to UTF-8.</summary>
internal static class JsonRpcResponses
{
    // Relaxed escaping keeps messages readable (quotes and non-ASCII as themselves); the output is never embedded in HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Serializes a success response.</summary>
    /// <param name="id">The request's id; <see langword="null"/> writes JSON null.</param>
    /// <param name="result">The result; <see langword="null"/> writes JSON null.</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static byte[] Result(JsonElement? id, JsonNode? result)
        => Write(id, writer =>
        {
            writer.WritePropertyName("result");
            WriteNode(writer, result);
        });

    /// <summary>Serializes an error response.</summary>
    /// <param name="id">The request's id, or <see langword="null"/> when it could not be read.</param>
    /// <param name="code">The error code.</param>
    /// <param name="message">The error message.</param>
    /// <param name="data">The error's data, if any.</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static byte[] Error(JsonElement? id, int code, string message, JsonObject? data)
        => Write(id, writer =>
        {
            writer.WriteStartObject("error");
            writer.WriteNumber("code", code);
            writer.WriteString("message", message);
            if (data is not null)
            {
                writer.WritePropertyName("data");
                data.WriteTo(writer);
            }

            writer.WriteEndObject();
        });

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }

    private static byte[] Write(JsonElement? id, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            if (id is { } element)
            {
                // Written back verbatim: a client's id 1.50 or a 20-digit number round-trips unchanged.
                element.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }

            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

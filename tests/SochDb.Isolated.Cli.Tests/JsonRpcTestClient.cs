using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>
/// A minimal client of the serve protocol, written from the spec rather than from the server's code: frames requests,
/// reads framed responses, and matches responses to requests by id (the server may answer out of order).
/// </summary>
internal sealed class JsonRpcTestClient(Stream toServer, Stream fromServer)
{
    private readonly Dictionary<string, JsonObject> early = [];
    private readonly Queue<JsonObject> earlyWithoutId = new();
    private byte[] buffer = new byte[64 * 1024];
    private int start;
    private int end;
    private int nextId;

    /// <summary>Frames a JSON text.</summary>
    public static byte[] Frame(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return [.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body];
    }

    /// <summary>Builds a request object.</summary>
    public static JsonObject Request(JsonNode? id, string method, JsonObject? parameters = null)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = parameters;
        }

        return request;
    }

    /// <summary>Writes bytes as they are.</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        await toServer.WriteAsync(bytes);
        await toServer.FlushAsync();
    }

    /// <summary>Writes text as UTF-8, as it is (no framing added).</summary>
    public Task SendRawAsync(string text) => SendRawAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Frames and writes a message.</summary>
    public Task SendAsync(JsonNode message) => SendRawAsync(Frame(message.ToJsonString()));

    /// <summary>Sends a request with a fresh numeric id and waits for its response.</summary>
    public async Task<JsonObject> CallAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref nextId) + 1000;
        await SendAsync(Request(id, method, parameters)).DefaultTimeout();
        return await ReadResponseAsync(id).DefaultTimeout();
    }

    /// <summary>Sends a request and returns its result, failing the test on an error response.</summary>
    public async Task<JsonNode?> CallResultAsync(string method, JsonObject? parameters = null)
    {
        var response = await CallAsync(method, parameters);
        Assert.True(response.ContainsKey("result"), $"{method} failed: {response.ToJsonString()}");
        return response["result"];
    }

    /// <summary>Sends a request and returns its error object, failing the test on a success response.</summary>
    public async Task<JsonObject> CallErrorAsync(string method, JsonObject? parameters = null)
    {
        var response = await CallAsync(method, parameters);
        Assert.True(response["error"] is JsonObject, $"{method} should have failed: {response.ToJsonString()}");
        return response["error"]!.AsObject();
    }

    /// <summary>Reads responses until the one with <paramref name="id"/>; keeps the others for later.</summary>
    public async Task<JsonObject> ReadResponseAsync(JsonNode? id)
    {
        var key = Key(id);
        while (true)
        {
            if (key is null ? earlyWithoutId.TryDequeue(out var kept) : early.Remove(key, out kept))
            {
                return kept;
            }

            var message = await ReadMessageAsync() ?? throw new EndOfStreamException($"the server closed its output before answering id {key ?? "null"}");
            var messageKey = Key(message["id"]);
            if (messageKey == key)
            {
                return message;
            }

            if (messageKey is null)
            {
                earlyWithoutId.Enqueue(message);
            }
            else
            {
                early[messageKey] = message;
            }
        }
    }

    /// <summary>Reads the next framed message, or <see langword="null"/> at the end of the server's output.</summary>
    public async Task<JsonObject?> ReadMessageAsync()
    {
        if (await ReadBodyAsync() is not { } json)
        {
            return null;
        }

        var message = JsonNode.Parse(json)!.AsObject();
        Assert.Equal("2.0", (string?)message["jsonrpc"]);
        return message;
    }

    /// <summary>Reads the next frame's body as text, or <see langword="null"/> at the end of the server's output.</summary>
    public async Task<string?> ReadBodyAsync()
    {
        int terminator;
        while ((terminator = buffer.AsSpan(start, end - start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync())
            {
                Assert.True(start == end, "the server's output ended inside a header");
                return null;
            }
        }

        var headers = Encoding.ASCII.GetString(buffer, start, terminator).Split("\r\n");
        var lengthHeader = Assert.Single(headers, h => h.StartsWith("Content-Length:", StringComparison.Ordinal));
        var length = int.Parse(lengthHeader["Content-Length:".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        start += terminator + 4;
        while (end - start < length)
        {
            if (!await FillAsync())
            {
                Assert.Fail("the server's output ended inside a body");
            }
        }

        var json = Encoding.UTF8.GetString(buffer, start, length);
        start += length;
        return json;
    }

    /// <summary>Reads every message until the server's output ends, including ones kept while waiting for others.</summary>
    public async Task<List<JsonObject>> ReadToEndAsync()
    {
        var all = new List<JsonObject>([.. early.Values, .. earlyWithoutId]);
        early.Clear();
        earlyWithoutId.Clear();
        while (await ReadMessageAsync() is { } message)
        {
            all.Add(message);
        }

        return all;
    }

    private static string? Key(JsonNode? id) => id?.ToJsonString();

    private async Task<bool> FillAsync()
    {
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        if (end == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }

        var read = await fromServer.ReadAsync(buffer.AsMemory(end));
        end += read;
        return read > 0;
    }
}

using System.Text;
using SochDb.Isolated.Cli.Serve;

namespace SochDb.Isolated.Cli.Tests;

/// <summary>The framing reader on its own, with input split at every possible place.</summary>
public sealed class FrameReaderTests
{
    private static byte[] Frame(string body) => JsonRpcTestClient.Frame(body);

    private static byte[] Bytes(params object[] parts)
        => [.. parts.SelectMany(p => p as byte[] ?? Encoding.UTF8.GetBytes((string)p))];

    private static async Task<List<FrameReadResult>> ReadAllAsync(byte[] input, int chunk, long maxFrameBytes = 1 << 20)
    {
        var reader = new FrameReader(new ChunkedReadStream(input, chunk), maxFrameBytes);
        var results = new List<FrameReadResult>();
        while (true)
        {
            var result = await reader.ReadAsync(CancellationToken.None);
            results.Add(result);
            if (result.Status == FrameReadStatus.EndOfStream)
            {
                return results;
            }

            Assert.True(results.Count < 100, "the reader does not make progress");
        }
    }

    private static string Text(FrameReadResult result)
    {
        Assert.Equal(FrameReadStatus.Frame, result.Status);
        return Encoding.UTF8.GetString(result.Body.Span);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Read_AnyChunking_YieldsTheSameFrames(int chunk)
    {
        var input = Bytes(Frame("{\"a\":1}"), Frame("{\"b\":\"é\"}"), Frame(new string('x', 40_000)));
        var results = await ReadAllAsync(input, chunk);
        Assert.Equal(4, results.Count);
        Assert.Equal("{\"a\":1}", Text(results[0]));
        Assert.Equal("{\"b\":\"é\"}", Text(results[1]));
        Assert.Equal(40_000, results[2].Body.Length);
        Assert.Equal(FrameReadStatus.EndOfStream, results[3].Status);
        Assert.Null(results[3].Error);
    }

    [Fact]
    public async Task Read_TwoFramesInOneRead_YieldsBoth()
    {
        var input = Bytes(Frame("{}"), Frame("[1]"));
        var stream = new ChunkedReadStream(input, int.MaxValue);
        var reader = new FrameReader(stream, 1024);
        Assert.Equal("{}", Text(await reader.ReadAsync(CancellationToken.None)));
        Assert.Equal("[1]", Text(await reader.ReadAsync(CancellationToken.None)));
        Assert.Equal(1, stream.Reads);
    }

    [Fact]
    public async Task Read_OtherHeadersAndAnyCase_AreAccepted()
    {
        var input = Bytes("content-length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}", "Content-Type: x\r\nCONTENT-LENGTH:3\r\n\r\n[1]");
        var results = await ReadAllAsync(input, 3);
        Assert.Equal("{}", Text(results[0]));
        Assert.Equal("[1]", Text(results[1]));
    }

    [Fact]
    public async Task Read_BlankLinesBetweenFrames_AreTolerated()
    {
        var input = Bytes("\r\n", Frame("{}"), "\r\n\r\n", Frame("[]"), "\n");
        var results = await ReadAllAsync(input, 5);
        Assert.Equal(["{}", "[]"], results.Take(2).Select(Text));
        Assert.Equal(FrameReadStatus.EndOfStream, results[2].Status);
        Assert.Null(results[2].Error);
    }

    [Theory]
    [InlineData("Content-Length: abc\r\n\r\n{\"x\":1}", "'abc' is not a number")]
    [InlineData("Content-Length: -5\r\n\r\n{\"x\":1}", "'-5' is not a number")]
    [InlineData("Content-Length: +7\r\n\r\n{\"x\":1}", "'+7' is not a number")]
    [InlineData("Content-Length: 99999999999999999999999\r\n\r\n{}", "is not a number")]
    [InlineData("Content-Length: \r\n\r\n{}", "is not a number")]
    [InlineData("Content-Type: text/plain\r\n\r\n{\"x\":1}", "no Content-Length")]
    [InlineData("Content-Length: 7\r\nContent-Length: 8\r\n\r\n{\"x\":1}", "two different Content-Length")]
    [InlineData("hello world\r\n\r\n{\"x\":1}", "is not a header line")]
    [InlineData("{\"jsonrpc\":\"2.0\"}\r\n\r\n", "is not a header line")]
    public async Task Read_BadHeader_IsMalformedAndTheNextFrameStillReads(string bad, string expected)
    {
        foreach (var chunk in new[] { 1, 3, 4096 })
        {
            var results = await ReadAllAsync(Bytes(bad, Frame("{\"ok\":true}")), chunk);
            Assert.Equal(FrameReadStatus.Malformed, results[0].Status);
            Assert.Contains(expected, results[0].Error, StringComparison.Ordinal);
            Assert.Equal("{\"ok\":true}", Text(results[1]));
            Assert.Equal(FrameReadStatus.EndOfStream, results[2].Status);
        }
    }

    [Fact]
    public async Task Read_BodyLongerThanDeclared_RecoversTheFrameGluedBehindIt()
    {
        // The first frame's body is "{}xx": the extra bytes run into the next frame's header.
        var input = Bytes("Content-Length: 2\r\n\r\n{}xx", Frame("{\"next\":1}"));
        var results = await ReadAllAsync(input, 1);
        Assert.Equal("{}", Text(results[0]));
        Assert.Equal(FrameReadStatus.Malformed, results[1].Status);
        Assert.Equal("{\"next\":1}", Text(results[2]));
    }

    [Fact]
    public async Task Read_NoBlankLineWithinLimit_IsMalformedAndResyncs()
    {
        var input = Bytes(new string('a', FrameReader.MaxHeaderBytes + 10), Frame("{}"));
        var results = await ReadAllAsync(input, 1000);
        Assert.Equal(FrameReadStatus.Malformed, results[0].Status);
        Assert.Contains("no blank line", results[0].Error, StringComparison.Ordinal);
        Assert.Equal("{}", Text(results[1]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1 << 20)]
    public async Task Read_OversizedFrame_IsReportedAndSkippedExactly(int chunk)
    {
        var big = new string('{', 5000);
        var input = Bytes(Frame(big), Frame("{\"after\":1}"));
        var results = await ReadAllAsync(input, chunk, maxFrameBytes: 4096);
        Assert.Equal(FrameReadStatus.Oversized, results[0].Status);
        Assert.Contains("5000 bytes exceed the limit of 4096", results[0].Error, StringComparison.Ordinal);
        Assert.Equal("{\"after\":1}", Text(results[1]));
        Assert.Equal(FrameReadStatus.EndOfStream, results[2].Status);
    }

    [Fact]
    public async Task Read_FrameExactlyAtLimit_IsAccepted()
    {
        var results = await ReadAllAsync(Frame(new string('x', 4096)), 512, maxFrameBytes: 4096);
        Assert.Equal(4096, results[0].Body.Length);
    }

    [Fact]
    public async Task Read_ZeroLength_IsAnEmptyFrame()
    {
        var results = await ReadAllAsync(Bytes("Content-Length: 0\r\n\r\n", Frame("{}")), 2);
        Assert.Equal(string.Empty, Text(results[0]));
        Assert.Equal("{}", Text(results[1]));
    }

    [Theory]
    [InlineData("Content-Length: 10\r\n\r\n{\"a\"", "inside a frame body (4 of 10 bytes)")]
    [InlineData("Content-Length: 10\r\n", "inside a header block")]
    public async Task Read_InputEndsInsideAFrame_EndsWithAReason(string input, string expected)
    {
        var results = await ReadAllAsync(Encoding.ASCII.GetBytes(input), 3);
        var end = Assert.Single(results);
        Assert.Equal(FrameReadStatus.EndOfStream, end.Status);
        Assert.Contains(expected, end.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_GarbageThenEnd_EndsAfterOneRefusal()
    {
        var results = await ReadAllAsync(Encoding.ASCII.GetBytes("garbage\r\n\r\nmore garbage with no header"), 4);
        Assert.Equal([FrameReadStatus.Malformed, FrameReadStatus.EndOfStream], results.Select(r => r.Status));
    }

    [Fact]
    public async Task Read_LongHeaderOneBytePerRead_IsLinear()
    {
        // 60 KiB of headers trickled one byte per read: a rescan from the start on every read would take billions of steps.
        var padding = string.Concat(Enumerable.Repeat("X-Padding: 0123456789012345678901234567890123456789\r\n", 1100));
        var input = Bytes(padding, Frame("{}"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var results = await ReadAllAsync(input, 1);
        Assert.Equal("{}", Text(results[0]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Constructor_LimitOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameReader(Stream.Null, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameReader(Stream.Null, (long)Array.MaxLength + 1));
    }
}

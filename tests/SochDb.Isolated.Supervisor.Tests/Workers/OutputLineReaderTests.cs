using System.Text;
using SochDb.Isolated.Supervisor.Workers;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.Supervisor.Tests.Workers;

public sealed class OutputLineReaderTests
{
    [Fact]
    public async Task PumpAsync_MixedLineEndings_PassesEachLineWithoutItsBreak()
    {
        var lines = await PumpAsync("one\ntwo\r\n\nthree", maxLineBytes: 100);

        Assert.Equal(["one", "two", string.Empty, "three"], lines);
    }

    [Fact]
    public async Task PumpAsync_LineLongerThanTheCap_IsCutAtTheCapAndTheRestDropped()
    {
        var lines = await PumpAsync(new string('a', 50) + "\nnext\n", maxLineBytes: 10);

        Assert.Equal([new string('a', 10) + OutputLineReader.CutMarker, "next"], lines);
    }

    [Fact]
    public async Task PumpAsync_LineExactlyAtTheCap_IsNotCut()
    {
        var lines = await PumpAsync(new string('a', 10) + "\n", maxLineBytes: 10);

        Assert.Equal([new string('a', 10)], lines);
    }

    [Fact]
    public async Task PumpAsync_EndlessLineWithoutBreak_PassesOneCutLineInBoundedMemory()
    {
        // 64 MiB without a line break, produced on the fly: nothing may hold it whole.
        await using var endless = new RepeatingStream((byte)'z', 64L * 1024 * 1024);
        var lines = new List<string>();

        await OutputLineReader.PumpAsync(endless, 4096, lines.Add).DefaultTimeout();

        var line = Assert.Single(lines);
        Assert.Equal(4096 + OutputLineReader.CutMarker.Length, line.Length);
    }

    [Fact]
    public async Task PumpAsync_BrokenPipe_EndsQuietlyAfterTheWholeLines()
    {
        await using var broken = new FailingStream(Encoding.UTF8.GetBytes("whole\npart"));
        var lines = new List<string>();

        await OutputLineReader.PumpAsync(broken, 100, lines.Add).DefaultTimeout();

        Assert.Equal(["whole", "part"], lines);
    }

    private static async Task<List<string>> PumpAsync(string text, int maxLineBytes)
    {
        var lines = new List<string>();
        await OutputLineReader.PumpAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), maxLineBytes, lines.Add).DefaultTimeout();
        return lines;
    }

    /// <summary>Yields one byte value many times without holding it in memory.</summary>
    private sealed class RepeatingStream(byte value, long length) : Stream
    {
        private long remaining = length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, remaining);
            buffer.AsSpan(offset, n).Fill(value);
            remaining -= n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Yields its bytes, then fails as a pipe does when the process on the other end is killed.</summary>
    private sealed class FailingStream(byte[] data) : Stream
    {
        private bool done;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (done)
            {
                throw new IOException("Broken pipe");
            }

            done = true;
            data.CopyTo(buffer, offset);
            return data.Length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

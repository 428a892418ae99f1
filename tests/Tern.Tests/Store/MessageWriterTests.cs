using System.Security.Cryptography;
using System.Text;
using Tern.Store.FileSystem;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Store;

public class MessageWriterTests
{
    /// <summary>A stream that cannot seek and hands out at most a few octets per read, as a network stream does.</summary>
    sealed class TrickleStream(byte[] content, int step) : UnseekableReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(step, buffer.Length), content.Length - Offset);
            content.AsSpan(Offset, n).CopyTo(buffer);
            Offset += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }

    static byte[] MixedLineEnds(int lines)
    {
        var text = new StringBuilder("Subject: line ends\n\r\n");
        for (int i = 0; i < lines; i++)
            text.Append(Line(i)).Append((i % 3) switch { 0 => "\n", 1 => "\r", _ => "\r\n" });
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    static string Line(int i) => "line " + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + new string('x', i % 70);

    static byte[] Expected(byte[] content) =>
        Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(content).Replace("\r\n", "\n").Replace("\r", "\n").Replace("\n", "\r\n"));

    [Fact]
    public async Task Every_line_end_becomes_CRLF_from_a_memory_stream_and_from_a_trickling_unseekable_stream_alike()
    {
        // Large enough to span several 80 KB chunks, so a CR at the end of one chunk meets its LF in the next.
        var content = MixedLineEnds(12_000);
        var expected = Expected(content);

        using var fromMemory = new MemoryStream();
        long memorySize = await MessageWriter.CopyNormalizedAsync(new MemoryStream(content, writable: false), fromMemory, CancellationToken.None);
        using var fromTrickle = new MemoryStream();
        long trickleSize = await MessageWriter.CopyNormalizedAsync(new TrickleStream(content, 7), fromTrickle, CancellationToken.None);

        Assert.Equal(expected.Length, memorySize);
        Assert.Equal(expected, fromMemory.ToArray());
        Assert.Equal(expected.Length, trickleSize);
        Assert.Equal(expected, fromTrickle.ToArray());
    }

    [Fact]
    public async Task The_hash_is_of_the_normalized_octets_whichever_way_the_content_arrives()
    {
        var content = MixedLineEnds(500);
        var expected = Expected(content);

        var (size, sha) = await MessageWriter.HashNormalizedAsync(new MemoryStream(content), CancellationToken.None);
        var (trickledSize, trickledSha) = await MessageWriter.HashNormalizedAsync(new TrickleStream(content, 1), CancellationToken.None);

        Assert.Equal(expected.Length, size);
        Assert.Equal(SHA256.HashData(expected), sha);
        Assert.Equal(size, trickledSize);
        Assert.Equal(sha, trickledSha);
    }
}

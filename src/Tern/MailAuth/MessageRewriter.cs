using System.Text;

namespace Tern.MailAuth;

/// <summary>Copies a queued message into a new queue file with header fields added on top and some removed, streaming
/// the body (never the whole message in memory). The queue's message files are written once; a change is a copy.</summary>
public static class MessageRewriter
{
    /// <param name="source">The message, positioned at its first header field.</param>
    /// <param name="prefix">Header fields (CRLF) written first.</param>
    /// <param name="drop">Called with each header field (Latin-1 text, folded lines included); true removes it.</param>
    public static async Task CopyAsync(Stream source, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write,
        string prefix, Func<string, bool>? drop, CancellationToken cancellationToken)
    {
        await write(Encoding.UTF8.GetBytes(prefix), cancellationToken).ConfigureAwait(false);
        var buffered = new BufferedStream(source, 64 * 1024);
        var field = new MemoryStream();
        var line = new MemoryStream();
        async ValueTask FlushFieldAsync()
        {
            if (field.Length == 0)
                return;
            if (drop is null || !drop(Encoding.Latin1.GetString(field.GetBuffer(), 0, (int)field.Length)))
                await write(field.GetBuffer().AsMemory(0, (int)field.Length), cancellationToken).ConfigureAwait(false);
            field.SetLength(0);
        }
        while (true)
        {
            line.SetLength(0);
            int b;
            while ((b = buffered.ReadByte()) >= 0)
            {
                line.WriteByte((byte)b);
                if (b == '\n')
                    break;
            }
            if (line.Length == 0)
                break; // end of message inside the header section
            var kind = Classify(line.GetBuffer().AsSpan(0, (int)line.Length));
            if (kind == LineKind.Empty)
            {
                await FlushFieldAsync().ConfigureAwait(false);
                await write(line.ToArray(), cancellationToken).ConfigureAwait(false);
                break;
            }
            if (kind == LineKind.NewField)
                await FlushFieldAsync().ConfigureAwait(false);
            field.Write(line.GetBuffer().AsSpan(0, (int)line.Length));
        }
        await FlushFieldAsync().ConfigureAwait(false);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await buffered.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            await write(chunk.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
    }

    enum LineKind { Empty, Continuation, NewField }

    /// <summary>RFC 5322 2.2.3: a line starting with WSP continues the field before it; an empty line ends the header.</summary>
    static LineKind Classify(ReadOnlySpan<byte> line) =>
        line.SequenceEqual("\r\n"u8) || line.SequenceEqual("\n"u8) ? LineKind.Empty
        : line[0] is (byte)' ' or (byte)'\t' ? LineKind.Continuation
        : LineKind.NewField;
}

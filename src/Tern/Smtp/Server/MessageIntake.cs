using System.Buffers;
using System.Text;
using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

/// <summary>Streams one message's content into its queue file: decodes (DATA) or checks (BDAT) the bytes, counts the
/// real size against the limit, and keeps the header section for the From check. Never holds the body in memory.</summary>
sealed class MessageIntake : IAsyncDisposable
{
    /// <summary>The header section kept for the sender check; larger ones cannot be checked (and are refused when a check is needed).</summary>
    public const int MaxHeaderCapture = 256 * 1024;

    readonly DataDecoder decoder;
    readonly long maxSize;
    readonly MemoryStream headers = new();
    byte[] output = ArrayPool<byte>.Shared.Rent(DataDecoder.MaxOutputLength(16 * 1024));
    bool headersComplete;

    public MessageIntake(QueueMessageWriter writer, DataDecoder decoder, long maxSize, string traceHeader)
    {
        Writer = writer;
        this.decoder = decoder;
        this.maxSize = maxSize;
        TraceHeader = Encoding.UTF8.GetBytes(traceHeader);
    }

    public QueueMessageWriter Writer { get; }
    public byte[] TraceHeader { get; }
    public bool Completed => decoder.Completed;
    public bool TooBig { get; private set; }
    public DataProblems Problems => decoder.Problems;

    /// <summary>Octets of the message as received (after dot-unstuffing), the size RFC 1870 limits.</summary>
    public long Size => decoder.OutputLength;

    /// <summary>The header section, or null when it was larger than <see cref="MaxHeaderCapture"/>.</summary>
    public byte[]? HeaderSection => headersComplete || headers.Length < MaxHeaderCapture ? headers.ToArray() : null;

    public ValueTask StartAsync(CancellationToken cancellationToken) => Writer.WriteAsync(TraceHeader, cancellationToken);

    /// <summary>Feeds received bytes; returns how many were consumed (less than all only when the end of data was found).</summary>
    public async ValueTask<long> FeedAsync(ReadOnlySequence<byte> input, CancellationToken cancellationToken)
    {
        long consumed = 0;
        foreach (var segment in input)
        {
            var memory = segment;
            while (memory.Length > 0 && !decoder.Completed)
            {
                var piece = memory[..Math.Min(memory.Length, 16 * 1024)];
                int used = decoder.Decode(piece.Span, output, out int written);
                memory = memory[used..];
                consumed += used;
                await WriteAsync(written, cancellationToken).ConfigureAwait(false);
            }
            if (decoder.Completed)
                break;
        }
        return consumed;
    }

    /// <summary>BDAT LAST: flushes the decoder's pending state (a CR at the very end).</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken)
    {
        int written = decoder.Finish(output);
        await WriteAsync(written, cancellationToken).ConfigureAwait(false);
    }

    async ValueTask WriteAsync(int written, CancellationToken cancellationToken)
    {
        if (written == 0)
            return;
        CaptureHeaders(output.AsSpan(0, written));
        if (decoder.OutputLength > maxSize)
            TooBig = true; // keep reading to the end so the reply lands in sync, but store no more
        if (!TooBig)
            await Writer.WriteAsync(output.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
    }

    void CaptureHeaders(ReadOnlySpan<byte> data)
    {
        if (headersComplete || headers.Length >= MaxHeaderCapture)
            return;
        int room = (int)(MaxHeaderCapture - headers.Length);
        var take = data[..Math.Min(room, data.Length)];
        long before = headers.Length;
        headers.Write(take);
        // The header section ends at the first empty line (RFC 5322 2.1); look back 3 bytes for a CRLF CRLF split across writes.
        var buffer = headers.GetBuffer().AsSpan(0, (int)headers.Length);
        int from = (int)Math.Max(0, before - 3);
        int end = buffer[from..].IndexOf("\r\n\r\n"u8);
        if (before == 0 && buffer.StartsWith("\r\n"u8))
        {
            headers.SetLength(0);
            headersComplete = true;
        }
        else if (end >= 0)
        {
            headers.SetLength(from + end + 2);
            headersComplete = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync().ConfigureAwait(false);
        if (output.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(output);
            output = [];
        }
    }
}

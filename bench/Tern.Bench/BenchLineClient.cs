using System.Net.Sockets;
using System.Text;

namespace Tern.Bench;

/// <summary>A plain TCP client for the POP3 and IMAP workloads: buffered line reads, literal and dot-terminated
/// reads that count bytes without keeping them, so that the client spends little CPU beside the server.</summary>
public sealed class BenchLineClient : IAsyncDisposable
{
    readonly TcpClient tcp;
    readonly NetworkStream stream;
    /// <summary>Grows for long lines (a SORT or THREAD result over 100,000 messages is one line of about 700 KB).</summary>
    byte[] buffer = new byte[64 * 1024];
    const int MaxLine = 64 * 1024 * 1024;
    int start, end;

    BenchLineClient(TcpClient tcp)
    {
        this.tcp = tcp;
        tcp.NoDelay = true;
        stream = tcp.GetStream();
    }

    public static async Task<BenchLineClient> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            tcp.Dispose();
            throw new MissingException($"nothing answers on {host}:{port}");
        }
        return new BenchLineClient(tcp);
    }

    public Task WriteAsync(string text, CancellationToken cancellationToken) =>
        stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await stream.WriteAsync(bytes, cancellationToken);

    async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length)
        {
            if (buffer.Length >= MaxLine)
                throw new InvalidOperationException("line longer than the client's buffer");
            Array.Resize(ref buffer, buffer.Length * 2);
        }
        int n = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
        if (n == 0)
            throw new IOException("the server closed the connection");
        end += n;
        return true;
    }

    /// <summary>One line without its CRLF (Latin-1, which keeps every byte).</summary>
    public async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int nl = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int length = nl > 0 && buffer[start + nl - 1] == '\r' ? nl - 1 : nl;
                var line = Encoding.Latin1.GetString(buffer, start, length);
                start += nl + 1;
                return line;
            }
            await FillAsync(cancellationToken);
        }
    }

    /// <summary>Reads and drops <paramref name="count"/> octets (an IMAP literal).</summary>
    public async Task SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (start == end)
                await FillAsync(cancellationToken);
            int take = (int)Math.Min(count, end - start);
            start += take;
            count -= take;
        }
    }

    static readonly byte[] DotTerminator = "\r\n.\r\n"u8.ToArray();

    /// <summary>Reads a POP3 multi-line body up to and including the terminating CRLF.CRLF (RFC 1939 3), right after
    /// the status line; returns the octets of the body (dot-stuffed, as sent).</summary>
    public async Task<long> ReadDotTerminatedAsync(CancellationToken cancellationToken)
    {
        while (end - start < 3)
            await FillAsync(cancellationToken);
        if (buffer.AsSpan(start, 3).SequenceEqual(".\r\n"u8))
        {
            start += 3;
            return 0;
        }
        long total = 0;
        while (true)
        {
            var span = buffer.AsSpan(start, end - start);
            int at = span.IndexOf(DotTerminator);
            if (at >= 0)
            {
                total += at + 2;
                start += at + DotTerminator.Length;
                return total;
            }
            // Keep the last four octets: the terminator may straddle two reads.
            int consume = Math.Max(0, span.Length - (DotTerminator.Length - 1));
            total += consume;
            start += consume;
            await FillAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        tcp.Dispose();
    }
}

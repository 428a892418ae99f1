using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Tern.Bench;

/// <summary>A small SMTP load generator over raw sockets with PIPELINING (RFC 2920): each session sends
/// MAIL, RCPT and DATA in one write, then the message, and counts the 250 replies after the data. Point it at Tern or
/// Postfix alike (only loopback addresses in this repository's runs).</summary>
public static class SmtpBenchmark
{
    /// <param name="messages">Total messages, spread over <paramref name="sessions"/> concurrent sessions.</param>
    /// <param name="sizeBytes">Approximate size of each message (headers plus 76-character lines).</param>
    /// <returns>Accepted messages per second (wall clock from the first connect to the last 250) and how many were accepted.</returns>
    public static async Task<(double MessagesPerSecond, int Sent)> RunAsync(string host, int port, int sessions, int messages, int sizeBytes, string rcpt)
    {
        var body = Body(sizeBytes);
        int accepted = 0;
        var watch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, sessions).Select(async s =>
        {
            int mine = messages / sessions + (s < messages % sessions ? 1 : 0);
            int ok = await SessionAsync(host, port, mine, body, rcpt).ConfigureAwait(false);
            Interlocked.Add(ref accepted, ok);
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        watch.Stop();
        return (accepted / watch.Elapsed.TotalSeconds, accepted);
    }

    static byte[] Body(int size)
    {
        var sb = new StringBuilder("From: bench@bench.test\r\nTo: rcpt@bench.test\r\nSubject: benchmark\r\nMessage-ID: <bench@bench.test>\r\n\r\n");
        var line = new string('x', 76) + "\r\n";
        while (sb.Length + line.Length < size)
            sb.Append(line);
        sb.Append(".\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    static async Task<int> SessionAsync(string host, int port, int count, byte[] body, string rcpt)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port).ConfigureAwait(false);
        await using var stream = tcp.GetStream();
        var reader = new ReplyReader(stream);
        await reader.ReadReplyAsync().ConfigureAwait(false); // 220
        await stream.WriteAsync(Encoding.ASCII.GetBytes("EHLO bench.test\r\n")).ConfigureAwait(false);
        await reader.ReadReplyAsync().ConfigureAwait(false);
        var envelope = Encoding.ASCII.GetBytes($"MAIL FROM:<bench@bench.test>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n");
        int ok = 0;
        for (int i = 0; i < count; i++)
        {
            await stream.WriteAsync(envelope).ConfigureAwait(false);
            var mail = await reader.ReadReplyAsync().ConfigureAwait(false);
            var rcptReply = await reader.ReadReplyAsync().ConfigureAwait(false);
            var data = await reader.ReadReplyAsync().ConfigureAwait(false);
            if (!mail.StartsWith('2') || !rcptReply.StartsWith('2') || !data.StartsWith("354", StringComparison.Ordinal))
                throw new InvalidOperationException($"refused: {mail} / {rcptReply} / {data}");
            await stream.WriteAsync(body).ConfigureAwait(false);
            var done = await reader.ReadReplyAsync().ConfigureAwait(false);
            if (done.StartsWith("250", StringComparison.Ordinal))
                ok++;
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes("QUIT\r\n")).ConfigureAwait(false);
        return ok;
    }

    /// <summary>Reads whole replies (multi-line ones end with "NNN ").</summary>
    sealed class ReplyReader(NetworkStream stream)
    {
        readonly byte[] buffer = new byte[8192];
        int start, end;

        public async Task<string> ReadReplyAsync()
        {
            while (true)
            {
                var line = await ReadLineAsync().ConfigureAwait(false);
                if (line.Length < 4 || line[3] != '-')
                    return line;
            }
        }

        async Task<string> ReadLineAsync()
        {
            while (true)
            {
                int lf = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (lf >= 0)
                {
                    var line = Encoding.ASCII.GetString(buffer, start, lf - start).TrimEnd('\r');
                    start = lf + 1;
                    return line;
                }
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                int n = await stream.ReadAsync(buffer.AsMemory(end)).ConfigureAwait(false);
                if (n == 0)
                    throw new IOException("server closed the connection");
                end += n;
            }
        }
    }
}

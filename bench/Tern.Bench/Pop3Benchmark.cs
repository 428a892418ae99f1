using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Tern.Bench;

/// <summary>A raw-socket POP3 client that measures a server (Tern or Dovecot alike): the time of a full LIST plus a
/// full UIDL, then the throughput of RETR of every message in the maildrop, one command after another as a mail
/// client does. Nothing is deleted (QUIT with no DELE), so the maildrop can be measured again.</summary>
public static class Pop3Benchmark
{
    /// <summary>Runs the measurement on one account.</summary>
    /// <param name="implicitTls">Connect with TLS from the first byte (port 995); the certificate is not checked.</param>
    /// <param name="maxMessages">Retrieve at most this many messages (null: all).</param>
    /// <returns>RETR throughput in megabytes (10^6 octets, as sent on the wire) per second, and the milliseconds of
    /// LIST + UIDL of the whole maildrop.</returns>
    public static async Task<(double MegabytesPerSecond, double ListUidlMs)> RunAsync(
        string host, int port, string user, string password,
        bool implicitTls = false, int? maxMessages = null, CancellationToken cancellationToken = default)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port, cancellationToken);
        Stream stream = tcp.GetStream();
        if (implicitTls)
        {
            var ssl = new SslStream(stream, false, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, cancellationToken);
            stream = ssl;
        }
        await using var connection = new RawPop3Connection(stream);
        await connection.ExpectOkAsync(cancellationToken);
        await connection.CommandAsync($"USER {user}", cancellationToken);
        await connection.CommandAsync($"PASS {password}", cancellationToken);
        var stat = await connection.CommandAsync("STAT", cancellationToken);
        int count = int.Parse(stat.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

        var listWatch = Stopwatch.StartNew();
        await connection.CommandAsync("LIST", cancellationToken);
        long listed = await connection.ReadMultiLineAsync(cancellationToken);
        await connection.CommandAsync("UIDL", cancellationToken);
        await connection.ReadMultiLineAsync(cancellationToken);
        listWatch.Stop();
        if (listed == 0 && count > 0)
            throw new InvalidOperationException("LIST returned nothing");

        int toFetch = Math.Min(count, maxMessages ?? int.MaxValue);
        long octets = 0;
        var retrWatch = Stopwatch.StartNew();
        for (int i = 1; i <= toFetch; i++)
        {
            await connection.CommandAsync($"RETR {i}", cancellationToken);
            octets += await connection.ReadMultiLineAsync(cancellationToken);
        }
        retrWatch.Stop();
        await connection.CommandAsync("QUIT", cancellationToken);

        double seconds = Math.Max(retrWatch.Elapsed.TotalSeconds, 1e-9);
        return (octets / 1e6 / seconds, listWatch.Elapsed.TotalMilliseconds);
    }

    /// <summary>Lines in, commands out, over a pipe so that big responses are scanned without copying.</summary>
    sealed class RawPop3Connection(Stream stream) : IAsyncDisposable
    {
        readonly PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));

        /// <summary>Sends a command and returns its +OK status line; throws on -ERR.</summary>
        public async Task<string> CommandAsync(string line, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            return await ExpectOkAsync(cancellationToken);
        }

        public async Task<string> ExpectOkAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                var lf = buffer.PositionOf((byte)'\n');
                if (lf is { } position)
                {
                    var line = Encoding.ASCII.GetString(buffer.Slice(0, position)).TrimEnd('\r');
                    reader.AdvanceTo(buffer.GetPosition(1, position));
                    if (!line.StartsWith("+OK", StringComparison.Ordinal))
                        throw new InvalidOperationException("POP3 server said: " + line);
                    return line;
                }
                if (result.IsCompleted)
                    throw new EndOfStreamException("the server closed the connection");
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }

        /// <summary>Reads the body of a multi-line response up to ".CRLF"; returns its octets as sent.</summary>
        public async Task<long> ReadMultiLineAsync(CancellationToken cancellationToken)
        {
            long octets = 0;
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var sequence = result.Buffer;
                var lines = new SequenceReader<byte>(sequence);
                bool done = false;
                while (lines.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
                {
                    if (line.Length == 2 && line.FirstSpan[0] == (byte)'.' && IsDotCr(line))
                    {
                        done = true;
                        break;
                    }
                    octets += line.Length + 1;
                }
                if (done)
                {
                    reader.AdvanceTo(lines.Position);
                    return octets;
                }
                reader.AdvanceTo(lines.Position, sequence.End);
                if (result.IsCompleted)
                    throw new EndOfStreamException("the server closed the connection inside a multi-line response");
            }
        }

        static bool IsDotCr(ReadOnlySequence<byte> line)
        {
            Span<byte> two = stackalloc byte[2];
            line.CopyTo(two);
            return two[0] == (byte)'.' && two[1] == (byte)'\r';
        }

        public async ValueTask DisposeAsync()
        {
            await reader.CompleteAsync();
            await stream.DisposeAsync();
        }
    }
}

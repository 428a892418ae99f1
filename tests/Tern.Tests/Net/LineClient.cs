using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Tern.Tests.Net;

/// <summary>A raw line client for protocol tests: exact bytes out, lines in, optional TLS upgrade.</summary>
public sealed class LineClient : IAsyncDisposable
{
    readonly TcpClient tcp;
    Stream stream;
    readonly List<byte> pending = [];

    LineClient(TcpClient tcp, Stream stream)
    {
        this.tcp = tcp;
        this.stream = stream;
    }

    public static async Task<LineClient> ConnectAsync(int port, bool implicitTls = false)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        Stream stream = tcp.GetStream();
        var client = new LineClient(tcp, stream);
        if (implicitTls)
            await client.UpgradeAsync();
        return client;
    }

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    public bool IsTls => stream is SslStream;

    public async Task UpgradeAsync()
    {
        var ssl = new SslStream(stream, false, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("localhost");
        stream = ssl;
        pending.Clear();
    }

    public Task SendRawAsync(string data) => SendRawAsync(Encoding.UTF8.GetBytes(data));

    public async Task SendRawAsync(byte[] data)
    {
        await stream.WriteAsync(data);
        await stream.FlushAsync();
    }

    public Task SendLineAsync(string line) => SendRawAsync(line + "\r\n");

    /// <summary>The next line without CRLF, or null when the server closed the connection.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[4096];
        while (true)
        {
            int lf = pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.UTF8.GetString(pending.GetRange(0, lf).ToArray()).TrimEnd('\r');
                pending.RemoveRange(0, lf + 1);
                return line;
            }
            int n;
            try { n = await stream.ReadAsync(buffer, cts.Token); }
            catch (IOException) { return null; }
            if (n == 0)
                return null;
            pending.AddRange(buffer.AsSpan(0, n).ToArray());
        }
    }

    /// <summary>True when the server has closed the connection (reads end) within the timeout.</summary>
    public async Task<bool> IsClosedAsync()
    {
        try { return await ReadLineAsync() is null; }
        catch (OperationCanceledException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        tcp.Dispose();
    }
}

#nullable disable
using System.IO.Compression;
using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using TernStore = Tern.Store;

namespace Tern.Tests.Imap;

/// <summary>RFC 4978 COMPRESS=DEFLATE: MailKit over plain and TLS, IDLE through the deflater, raw dialogs for
/// COMPRESSIONACTIVE, a decompression bomb and corrupt data.</summary>
public sealed class CompressTests
{
    static MimeMessage Big(string subject, int lines)
    {
        var m = ImapTestMail.Simple(subject);
        var body = new StringBuilder();
        for (int i = 0; i < lines; i++)
            body.Append("Line ").Append(i).Append(" of a long body, with some text to compress.\r\n");
        m.Body = new TextPart("plain") { Text = body.ToString() };
        return m;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task COMPRESS_session_fetches_bodies_correctly(bool tls)
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = new ImapClient { Timeout = 15000, ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", tls ? server.ImapsPort : server.ImapPort, tls ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.None);
        await client.AuthenticateAsync(user, ImapTestMail.Password);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Compress));
        await client.CompressAsync();
        var small = ImapTestMail.Simple("small one");
        var big = Big("big one", 20000); // about 1 MB
        await client.Inbox.AppendAsync(small);
        await client.Inbox.AppendAsync(big);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var got = await client.Inbox.GetMessageAsync(1);
        Assert.Equal(((TextPart)big.Body).Text, ((TextPart)got.Body).Text);
        Assert.Equal("small one", (await client.Inbox.GetMessageAsync(0)).Subject);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task IDLE_updates_reach_a_compressed_session_at_once()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        await client.CompressAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Inbox.CountChanged += (_, _) => arrived.TrySetResult();
        using var done = new CancellationTokenSource();
        var idle = client.IdleAsync(done.Token);

        var account = await server.Accounts.FindUserAsync(user);
        var store = server.Services.GetRequiredService<TernStore.IMailStore>();
        await using (var mail = await store.OpenAccountAsync(account.Id))
            await mail.AppendAsync("INBOX", new MemoryStream(ImapTestMail.Bytes(ImapTestMail.Simple("delivered"))), new TernStore.AppendOptions());
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        done.Cancel();
        await idle;
        Assert.Equal(1, client.Inbox.Count);
        Assert.Equal("delivered", (await client.Inbox.GetMessageAsync(0)).Subject);
    }

    /// <summary>A raw client that turns on DEFLATE after COMPRESS.</summary>
    sealed class DeflateClient : IAsyncDisposable
    {
        readonly TcpClient tcp = new();
        Stream reader;
        Stream writer;
        readonly List<byte> pending = [];

        public static async Task<DeflateClient> ConnectAsync(int port, string user)
        {
            var c = new DeflateClient();
            await c.tcp.ConnectAsync("127.0.0.1", port);
            c.reader = c.writer = c.tcp.GetStream();
            await c.ReadLineAsync();
            Assert.StartsWith("a OK", await c.CommandAsync("a", $"LOGIN \"{user}\" \"{ImapTestMail.Password}\""));
            Assert.Equal("c OK DEFLATE active", await c.CommandAsync("c", "COMPRESS DEFLATE"));
            var ns = c.tcp.GetStream();
            c.reader = new DeflateStream(ns, CompressionMode.Decompress, leaveOpen: true);
            c.writer = new DeflateStream(ns, CompressionLevel.Fastest, leaveOpen: true);
            return c;
        }

        public async Task SendAsync(byte[] data)
        {
            await writer.WriteAsync(data);
            await writer.FlushAsync();
        }

        public async Task<string> CommandAsync(string tag, string command)
        {
            await SendAsync(Encoding.ASCII.GetBytes($"{tag} {command}\r\n"));
            while (true)
            {
                var line = await ReadLineAsync();
                if (line is null || line.StartsWith(tag + " ", StringComparison.Ordinal))
                    return line;
            }
        }

        public async Task<string> ReadLineAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
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
                try { n = await reader.ReadAsync(buffer, cts.Token); }
                catch (IOException) { return null; }
                if (n == 0)
                    return null;
                pending.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }

        public async ValueTask DisposeAsync()
        {
            tcp.Dispose();
            await Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Second_COMPRESS_is_refused_with_COMPRESSIONACTIVE()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await DeflateClient.ConnectAsync(server.ImapPort, user);
        Assert.Equal("d NO [COMPRESSIONACTIVE] Compression is already active", await c.CommandAsync("d", "COMPRESS DEFLATE"));
        Assert.Equal("e OK NOOP completed", await c.CommandAsync("e", "NOOP"));
    }

    [Fact]
    public async Task Decompression_bomb_meets_the_line_limit_and_the_session_goes_on()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await DeflateClient.ConnectAsync(server.ImapPort, user);
        // 64 MB of one line inflated from well under 1 MB of input.
        var line = Encoding.ASCII.GetBytes(new string('x', 1 << 20));
        await c.SendAsync(Encoding.ASCII.GetBytes("b NOOP "));
        for (int i = 0; i < 64; i++)
            await c.SendAsync(line);
        await c.SendAsync("\r\n"u8.ToArray());
        Assert.Equal("b BAD Command line too long", await c.ReadLineAsync());
        Assert.Equal("f OK NOOP completed", await c.CommandAsync("f", "NOOP"));
    }

    [Fact]
    public async Task Corrupt_compressed_data_closes_the_connection()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.ImapPort);
        var ns = tcp.GetStream();
        var lines = new StreamReader(ns, Encoding.ASCII);
        await lines.ReadLineAsync();
        await ns.WriteAsync(Encoding.ASCII.GetBytes($"a LOGIN \"{user}\" \"{ImapTestMail.Password}\"\r\nc COMPRESS DEFLATE\r\n"));
        Assert.StartsWith("a OK", await lines.ReadLineAsync());
        Assert.Equal("c OK DEFLATE active", await lines.ReadLineAsync());
        await ns.WriteAsync(new byte[] { 0xff, 0xff, 0xff, 0xff, 0x13, 0x37 }); // BTYPE 11: an invalid block
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n;
        do
        {
            try { n = await ns.ReadAsync(buffer, cts.Token); }
            catch (IOException) { n = 0; }
        }
        while (n > 0);
        Assert.Equal(0, n);
    }
}

using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Store;
using Tern.Tests.Fixtures;
using Tern.Tests.Net;

namespace Tern.Tests.Pop3;

/// <summary>A test server shared by the tests of one class; each test uses its own user, so maildrop locks and
/// listings never collide.</summary>
public sealed class Pop3ServerFixture : IAsyncLifetime
{
    TernTestServer? server;
    public TernTestServer Server => server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() =>
        server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Auth:MaxFailuresPerIp"] = "1000" });

    public async Task DisposeAsync()
    {
        if (server is not null)
            await server.DisposeAsync();
    }
}

static class Pop3Test
{
    public const string Password = "secret-password";

    public static Task<UserAccount> NewUserAsync(TernTestServer server) =>
        server.AddUserAsync($"u{Guid.NewGuid():N}"[..13] + "@pop.example", Password);

    public static string Message(string subject, string body = "Hello.\r\n") =>
        $"From: sender@example.com\r\nTo: rcpt@pop.example\r\nSubject: {subject}\r\n" +
        $"Date: Fri, 27 Nov 2026 08:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@example.com>\r\n\r\n{body}";

    /// <summary>Puts a message into INBOX through the store, as delivery or IMAP APPEND would.</summary>
    public static async Task<AppendResult> AppendAsync(TernTestServer server, UserAccount user, string message, MessageFlags flags = MessageFlags.None)
    {
        var store = server.Services.GetRequiredService<IMailStore>();
        await using var account = await store.OpenAccountAsync(user.Id);
        return await account.AppendAsync("INBOX", new MemoryStream(Encoding.UTF8.GetBytes(message)), new AppendOptions(flags));
    }

    public static async Task<IReadOnlyList<MessageInfo>> InboxAsync(TernTestServer server, UserAccount user)
    {
        var store = server.Services.GetRequiredService<IMailStore>();
        await using var account = await store.OpenAccountAsync(user.Id);
        var inbox = await account.GetMailboxAsync("INBOX") ?? throw new InvalidOperationException("no INBOX");
        return await account.GetMessagesAsync(inbox.Id);
    }

    public static async Task<LineClient> ConnectAsync(int port, bool implicitTls = false)
    {
        var client = await LineClient.ConnectAsync(port, implicitTls);
        var greeting = await client.ReadLineAsync();
        Assert.StartsWith("+OK", greeting, StringComparison.Ordinal);
        return client;
    }

    /// <summary>Connects and logs in with USER/PASS; asserts every step.</summary>
    public static async Task<LineClient> LoginAsync(int port, UserAccount user)
    {
        var client = await ConnectAsync(port);
        Assert.StartsWith("+OK", await client.CommandAsync($"USER {user.Address}"), StringComparison.Ordinal);
        var pass = await client.CommandAsync($"PASS {Password}");
        Assert.StartsWith("+OK", pass, StringComparison.Ordinal);
        return client;
    }

    public static async Task<string> CommandAsync(this LineClient client, string line)
    {
        await client.SendLineAsync(line);
        return await client.ReadLineAsync() ?? throw new IOException("connection closed after " + line);
    }

    /// <summary>The lines of a multi-line response up to the terminating ".", exactly as sent (still dot-stuffed).</summary>
    public static async Task<List<string>> ReadMultiLineAsync(this LineClient client)
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await client.ReadLineAsync() ?? throw new IOException("connection closed inside a multi-line response");
            if (line == ".")
                return lines;
            lines.Add(line);
        }
    }

    /// <summary>RFC 1939 3: what the client keeps after removing the byte-stuffing.</summary>
    public static List<string> Unstuff(IEnumerable<string> lines) =>
        lines.Select(l => l.StartsWith('.') ? l[1..] : l).ToList();
}

using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tern.Queue;
using Tern.Tests.Fixtures;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

/// <summary>Shared set-up for SMTP tests: a server with example.com (alice, bob, alias team → alice+bob) and helpers
/// to read replies and the queue.</summary>
static class SmtpFixture
{
    public const string Password = "secret-password";

    /// <param name="delivery">False leaves the local delivery agent out, so tests can read what was queued.</param>
    /// <param name="dataDirectory">Reuse a data folder (restart tests); the caller deletes it.</param>
    public static async Task<TernTestServer> StartAsync(Dictionary<string, string?>? settings = null, bool delivery = false, string? dataDirectory = null)
    {
        var server = await TernTestServer.StartAsync(settings, dataDirectory, configureServices: services =>
        {
            if (!delivery)
            {
                var agent = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService)
                    && d.ImplementationType?.FullName == "Tern.Delivery.Local.LocalDeliveryAgent");
                if (agent is not null)
                    services.Remove(agent);
            }
        });
        if (await server.Accounts.FindUserAsync("alice@example.com") is null)
        {
            await server.AddUserAsync("alice@example.com", Password);
            await server.AddUserAsync("bob@example.com", Password);
            await server.Accounts.AddAliasAsync("team@example.com", ["alice@example.com", "bob@example.com"]);
        }
        return server;
    }

    public static QueueStore Queue(this TernTestServer server) => server.Services.GetRequiredService<QueueStore>();

    /// <summary>Every queued entry: envelope and content.</summary>
    public static async Task<List<(QueueEnvelope Envelope, string Content)>> QueuedAsync(this TernTestServer server)
    {
        var queue = server.Queue();
        var result = new List<(QueueEnvelope, string)>();
        foreach (var id in await queue.ListAsync())
        {
            var env = await queue.ReadEnvelopeAsync(id);
            await using var stream = queue.OpenMessage(id);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            result.Add((env!, await reader.ReadToEndAsync()));
        }
        return result;
    }

    /// <summary>The message body after our Received header (which is the first header, folded over several lines).</summary>
    public static string WithoutTrace(string content)
    {
        Assert.StartsWith("Received: ", content, StringComparison.Ordinal);
        int i = content.IndexOf("\r\n", StringComparison.Ordinal);
        while (i >= 0 && i + 2 < content.Length && content[i + 2] == '\t')
            i = content.IndexOf("\r\n", i + 2, StringComparison.Ordinal);
        return content[(i + 2)..];
    }

    /// <summary>Reads one (possibly multi-line) reply and returns its lines.</summary>
    public static async Task<List<string>> ReplyAsync(this LineClient client)
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await client.ReadLineAsync() ?? throw new IOException("connection closed; got: " + string.Join(" | ", lines));
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
                return lines;
        }
    }

    /// <summary>Reads one reply and asserts it starts with <paramref name="expected"/> ("250", "550 5.5.2").</summary>
    public static async Task<string> ExpectAsync(this LineClient client, string expected)
    {
        var reply = await client.ReplyAsync();
        Assert.True(reply[^1].StartsWith(expected, StringComparison.Ordinal), $"expected {expected}, got: {string.Join(" | ", reply)}");
        return reply[^1];
    }

    public static async Task<LineClient> ConnectAsync(int port, string ehlo = "client.example", bool implicitTls = false)
    {
        var client = await LineClient.ConnectAsync(port, implicitTls);
        await client.ExpectAsync("220 ");
        await client.SendLineAsync("EHLO " + ehlo);
        await client.ExpectAsync("250 ");
        return client;
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}

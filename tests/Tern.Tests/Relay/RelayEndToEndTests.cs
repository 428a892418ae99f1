using MailKit.Net.Smtp;
using MimeKit;
using Tern.Queue;
using Tern.Tests.Delivery;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>Two real Terns on loopback: the source relays through MX records served by a real DNS server on loopback
/// to the destination's port-25 listener; the sender reads the outcome in her own mailbox.</summary>
public sealed class RelayEndToEndTests
{
    const string Password = "secret-password";

    internal static async Task<TernTestServer> StartDestinationAsync(params string[] users)
    {
        var destination = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["HostName"] = "mx.dest.test" });
        foreach (var user in users)
            await destination.AddUserAsync(user, Password);
        return destination;
    }

    internal static Dictionary<string, string?> SourceSettings(TestDnsServer dns, int relayPort) => new()
    {
        ["HostName"] = "source.test",
        ["Relay:Enabled"] = "true",
        ["Dns:Servers:0"] = dns.EndPoint,
        ["Dns:TimeoutSeconds"] = "1",
        ["Relay:Port"] = relayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Relay:FirstRetryDelaySeconds"] = "1",
        ["Relay:MaxRetryDelaySeconds"] = "2",
        ["Relay:ConnectTimeoutSeconds"] = "2",
        ["Relay:CommandTimeoutSeconds"] = "5",
        ["Relay:DataTimeoutSeconds"] = "5",
    };

    internal static async Task<TernTestServer> StartSourceAsync(TestDnsServer dns, int relayPort, string? dataDirectory = null)
    {
        // TernHost registers the relay; test servers keep it off unless Relay:Enabled is set (SourceSettings does).
        var source = await TernTestServer.StartAsync(SourceSettings(dns, relayPort), dataDirectory);
        if (await source.Accounts.FindUserAsync("alice@source.test") is null)
            await source.AddUserAsync("alice@source.test", Password);
        return source;
    }

    /// <summary>Alice submits on port 587 with AUTH, as a mail client would.</summary>
    internal static async Task SubmitAsync(TernTestServer source, string subject, params string[] to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@source.test"));
        foreach (var address in to)
            message.To.Add(MailboxAddress.Parse(address));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Grüße from the relay end-to-end test.\n" };
        using var client = new SmtpClient();
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", source.SubmissionPort, MailKit.Security.SecureSocketOptions.StartTlsWhenAvailable);
        await client.AuthenticateAsync("alice@source.test", Password);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
    }

    static IEnumerable<MimeMessage> Parse(IEnumerable<string> raw) =>
        raw.Select(r => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(r))));

    [Fact]
    public async Task Mail_goes_through_MX_and_implicit_MX_to_another_Tern_over_STARTTLS()
    {
        await using var dns = TestDnsServer.Start();
        await using var destination = await StartDestinationAsync("bob@dest.test", "carol@implicit.test");
        dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test").AddA("implicit.test");
        await using var source = await StartSourceAsync(dns, destination.SmtpPort);

        await SubmitAsync(source, "through MX", "bob@dest.test", "carol@implicit.test");

        var bob = Parse(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 1)).Single();
        var carol = Parse(await LocalDeliveryTests.InboxAsync(destination, "carol@implicit.test", 1)).Single();
        Assert.Equal("through MX", bob.Subject);
        Assert.Equal("through MX", carol.Subject);
        Assert.Contains("Grüße", bob.TextBody, StringComparison.Ordinal);
        Assert.True(source.Log.Contains("connected to mx.dest.test [127.0.0.1]"));
        Assert.True(source.Log.Lines.Any(l => l.Contains("connected to", StringComparison.Ordinal) && l.Contains(" with Tls", StringComparison.Ordinal)),
            "STARTTLS was offered by the destination and must have been used");
        await RelayHarness.WaitUntilAsync(async () => (await source.Services.GetQueue().ListAsync()).Count == 0, 10, "empty queue");
        Assert.Empty(await LocalDeliveryTests.InboxAsync(source, "alice@source.test", 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Refused_and_null_MX_recipients_bounce_into_the_senders_mailbox_and_the_message_goes_to_bad()
    {
        await using var dns = TestDnsServer.Start();
        await using var destination = await StartDestinationAsync("bob@dest.test");
        dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test").AddNullMx("nomail.test");
        await using var source = await StartSourceAsync(dns, destination.SmtpPort);

        await SubmitAsync(source, "partly undeliverable", "bob@dest.test", "nobody@dest.test", "dave@nomail.test");

        Assert.Single(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 1));
        // Two domains, two attempts: one report each.
        var bounces = Parse(await LocalDeliveryTests.InboxAsync(source, "alice@source.test", 2)).ToList();
        Assert.Equal(2, bounces.Count);
        var groups = new List<HeaderList>();
        foreach (var bounce in bounces)
        {
            Assert.Equal("Undelivered Mail Returned to Sender", bounce.Subject);
            var report = Assert.IsType<MultipartReport>(bounce.Body);
            Assert.Equal("delivery-status", report.ReportType);
            Assert.IsType<TextPart>(report[0]);
            groups.AddRange(Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups.Skip(1).Where(g => g.Count > 0));
            Assert.Equal("partly undeliverable", Assert.IsType<TextRfc822Headers>(report[2]).Message!.Subject);
        }
        var nobody = groups.Single(g => g["Final-Recipient"] == "rfc822; nobody@dest.test");
        Assert.Equal("failed", nobody["Action"]);
        Assert.StartsWith("5.", nobody["Status"], StringComparison.Ordinal);
        Assert.Equal("dns; mx.dest.test", nobody["Remote-MTA"]);
        Assert.StartsWith("smtp; 55", nobody["Diagnostic-Code"], StringComparison.Ordinal);
        var dave = groups.Single(g => g["Final-Recipient"] == "rfc822; dave@nomail.test");
        Assert.Equal("5.1.10", dave["Status"]);
        Assert.DoesNotContain(groups, g => g["Final-Recipient"] == "rfc822; bob@dest.test");

        var queue = source.Services.GetQueue();
        string? bad = null;
        await RelayHarness.WaitUntilAsync(() =>
        {
            bad = Directory.Exists(queue.BadDirectory) ? Directory.GetFiles(queue.BadDirectory, "*.reason").SingleOrDefault() : null;
            // The .reason is written first, then the .msg and the .env are moved: wait for the last of them.
            return bad is not null && File.Exists(Path.ChangeExtension(bad, ".env"));
        }, 10, "bad folder");
        var id = Path.GetFileNameWithoutExtension(bad!);
        Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".msg")));
        Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".env")));
        var reasons = await File.ReadAllLinesAsync(bad!);
        Assert.Contains(reasons, l => l.StartsWith("<nobody@dest.test>: 55", StringComparison.Ordinal));
        Assert.Contains(reasons, l => l.StartsWith("<dave@nomail.test>: 5.1.10", StringComparison.Ordinal));
        Assert.DoesNotContain(reasons, l => l.Contains("bob@", StringComparison.Ordinal));
    }
}

static class ServiceProviderQueueExtensions
{
    public static QueueStore GetQueue(this IServiceProvider services) =>
        (QueueStore)services.GetService(typeof(QueueStore))!;
}

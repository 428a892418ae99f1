using System.Globalization;
using MailKit.Net.Smtp;
using MimeKit;
using Tern.Tests.Fixtures;
using Tern.Tests.Smtp;
using static Tern.Tests.MailAuth.MailAuthFixture;

namespace Tern.Tests.MailAuth;

/// <summary>Two Terns: alice@source.test submits on 587 to the source, which DKIM-signs and relays through MX to the
/// destination, which checks SPF, DKIM and DMARC. DNS for both is a real server on loopback.</summary>
public sealed class SigningEndToEndTests
{
    static async Task<TernTestServer> StartSourceAsync(TestDnsServer dns, int relayPort) =>
        await TernTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["HostName"] = "out.source.test",
            ["Relay:Enabled"] = "true",
            ["Dns:Servers:0"] = dns.EndPoint,
            ["Dns:TimeoutSeconds"] = "1",
            ["Relay:Port"] = relayPort.ToString(CultureInfo.InvariantCulture),
            ["Relay:FirstRetryDelaySeconds"] = "1",
            ["Relay:ConnectTimeoutSeconds"] = "2",
            ["Relay:CommandTimeoutSeconds"] = "5",
            ["Relay:DataTimeoutSeconds"] = "5",
        });

    static async Task SubmitAsync(TernTestServer source, string from, string to, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Signed by Tern, checked by Tern.\n" };
        using var client = new SmtpClient();
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", source.SubmissionPort, MailKit.Security.SecureSocketOptions.StartTlsWhenAvailable);
        await client.AuthenticateAsync(from, Password);
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Mail_signed_by_one_Tern_arrives_at_another_with_dkim_spf_and_dmarc_pass()
    {
        await using var dns = TestDnsServer.Start();
        await using var destination = await StartReceiverAsync(dns);
        await using var source = await StartSourceAsync(dns, destination.SmtpPort);
        await source.AddUserAsync("alice@source.test", Password);
        var keys = KeyStore(source);
        var rsa = keys.Generate("source.test", null, "rsa", DateTime.UtcNow);
        var ed = keys.Generate("source.test", null, "ed25519", DateTime.UtcNow);
        foreach (var key in new[] { rsa, ed })
            dns.AddTxt($"{key.Selector}._domainkey.source.test", File.ReadAllText(key.DnsPath).Trim());
        dns.AddTxt("source.test", "v=spf1 ip4:127.0.0.1 -all");
        dns.AddTxt("_dmarc.source.test", "v=DMARC1; p=reject; adkim=s; aspf=s");
        dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");

        await SubmitAsync(source, "alice@source.test", "bob@dest.test", "end to end");

        var delivered = Assert.Single(await MailboxAsync(destination, "bob@dest.test", "INBOX", 1, seconds: 20));
        var results = Results(delivered);
        Assert.Equal("pass", Result(results, "spf"));
        Assert.Equal("pass", Result(results, "dmarc"));
        var dkim = results.Results.Where(r => r.Method == "dkim").ToList();
        Assert.Equal(2, dkim.Count);
        Assert.All(dkim, r => Assert.Equal("pass", r.Result));
        Assert.Contains(dkim, r => r.Properties.Any(p => p.Property == "s" && p.Value == rsa.Selector));
        Assert.Contains(dkim, r => r.Properties.Any(p => p.Property == "s" && p.Value == ed.Selector));
    }

    [Fact]
    public async Task A_retired_key_no_longer_signs_and_a_domain_without_keys_is_sent_unsigned()
    {
        await using var dns = TestDnsServer.Start();
        await using var source = await SmtpFixture.StartAsync(new Dictionary<string, string?> { ["HostName"] = "out.example.com" });
        var keys = KeyStore(source);
        var old = keys.Generate("example.com", "old", "rsa", DateTime.UtcNow);
        var current = keys.Generate("example.com", null, "ed25519", DateTime.UtcNow);
        keys.Retire("example.com", old.Selector);

        await SubmitAsync(source, "alice@example.com", "someone@remote.test", "rotation");

        var (envelope, content) = Assert.Single(await source.QueuedAsync());
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)));
        var signature = Assert.Single(message.Headers, h => h.Id == HeaderId.DkimSignature);
        Assert.Contains("s=" + current.Selector, signature.Value, StringComparison.Ordinal);
        Assert.Contains("c=relaxed/relaxed", signature.Value, StringComparison.Ordinal);
        // RFC 6376 8.15 oversigning, and the Content-* fields MimeKit keeps with the body are signed too.
        Assert.Contains("h=from:from:", signature.Value.Replace(" ", "", StringComparison.Ordinal).Replace("\r\n", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("content-type", signature.Value, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("Received: ", content, StringComparison.Ordinal);
        Assert.Contains("id " + envelope.Id, content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submission_is_not_checked_and_gets_no_Authentication_Results()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.example.com", "v=DMARC1; p=reject");
        await using var source = await SmtpFixture.StartAsync(new Dictionary<string, string?>
        {
            ["Dns:Servers:0"] = dns.EndPoint,
            ["MailAuth:Verify"] = "true",
        });

        await SubmitAsync(source, "alice@example.com", "someone@remote.test", "no checks on 587");

        var (_, content) = Assert.Single(await source.QueuedAsync());
        Assert.DoesNotContain("Authentication-Results", content, StringComparison.Ordinal);
        Assert.DoesNotContain("DKIM-Signature", content, StringComparison.Ordinal);
    }
}

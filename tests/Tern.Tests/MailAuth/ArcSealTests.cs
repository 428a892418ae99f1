using System.Globalization;
using MimeKit;
using MimeKit.Cryptography;
using Tern.Tests.Fixtures;
using static Tern.Tests.MailAuth.MailAuthFixture;

namespace Tern.Tests.MailAuth;

/// <summary>An alias at dest.test forwards to far.test: the forwarder seals its results (RFC 8617) and the final
/// receiver, where SPF now fails, sees a valid ARC chain.</summary>
public sealed class ArcSealTests
{
    [Fact]
    public async Task Alias_forwarding_to_another_domain_adds_an_ARC_set_that_the_next_hop_validates()
    {
        await using var dns = TestDnsServer.Start();
        await using var far = await TernTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["HostName"] = "mx.far.test",
            ["Dns:Servers:0"] = dns.EndPoint,
            ["Dns:TimeoutSeconds"] = "1",
            ["MailAuth:Verify"] = "true",
        });
        await far.AddUserAsync("friend@far.test", Password);
        await using var forwarder = await StartReceiverAsync(dns, new()
        {
            ["Relay:Enabled"] = "true",
            ["Relay:Port"] = far.SmtpPort.ToString(CultureInfo.InvariantCulture),
            ["Relay:ConnectTimeoutSeconds"] = "2",
        });
        await forwarder.Accounts.AddAliasAsync("list@dest.test", ["friend@far.test"]);
        var seal = KeyStore(forwarder).Generate("dest.test", null, "rsa", DateTime.UtcNow);
        dns.AddTxt($"{seal.Selector}._domainkey.dest.test", File.ReadAllText(seal.DnsPath).Trim());
        dns.AddMx("far.test", 10, "mx.far.test").AddA("mx.far.test");
        var (key, record) = RsaKey();
        dns.AddTxt("sel1._domainkey.news.test", record);
        dns.AddTxt("news.test", "v=spf1 ip4:127.0.0.1 -all");
        var signed = SignWithMimeKit(Message("editor@news.test", "forward me", to: "list@dest.test"), key, "news.test", "sel1", DkimSignatureAlgorithm.RsaSha256);

        Assert.StartsWith("250", await SendToMxAsync(forwarder, "editor@news.test", signed, to: "list@dest.test"), StringComparison.Ordinal);

        var delivered = Assert.Single(await MailboxAsync(far, "friend@far.test", "INBOX", 1, seconds: 20));
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(delivered)));
        var arcSeal = Assert.Single(message.Headers, h => h.Id == HeaderId.ArcSeal);
        Assert.Contains("i=1", arcSeal.Value, StringComparison.Ordinal);
        Assert.Contains("cv=none", arcSeal.Value, StringComparison.Ordinal);
        Assert.Contains("d=dest.test", arcSeal.Value, StringComparison.Ordinal);
        var aar = Assert.Single(message.Headers, h => h.Id == HeaderId.ArcAuthenticationResults);
        Assert.Contains("dkim=pass", aar.Value, StringComparison.Ordinal);
        var results = Results(delivered, "mx.far.test");
        Assert.Equal("pass", Result(results, "arc"));
        Assert.Equal("pass", Result(results, "dkim"));
    }
}

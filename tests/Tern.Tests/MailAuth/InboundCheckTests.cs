using MimeKit.Cryptography;
using Tern.MailAuth;
using Tern.Tests.Fixtures;
using static Tern.Tests.MailAuth.MailAuthFixture;

namespace Tern.Tests.MailAuth;

/// <summary>Port 25 checks end to end: a real Tern, a real DNS server on loopback, mail sent over SMTP from 127.0.0.1.</summary>
public sealed class InboundCheckTests
{
    [Fact]
    public async Task Forged_From_with_dmarc_reject_is_refused_with_550_5_7_1()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.bank.test", "v=DMARC1; p=reject");
        dns.AddTxt("bank.test", "v=spf1 ip4:192.0.2.1 -all");
        await using var server = await StartReceiverAsync(dns);

        var reply = await SendToMxAsync(server, "crook@bank.test", Message("ceo@bank.test", "wire the money"));

        Assert.StartsWith("550 5.7.1", reply, StringComparison.Ordinal);
        Assert.Empty(await MailboxAsync(server, "bob@dest.test", "INBOX", 0, seconds: 0));
    }

    [Fact]
    public async Task Forged_From_with_dmarc_quarantine_lands_in_Junk_with_dmarc_fail()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.shop.test", "v=DMARC1; p=quarantine; rua=mailto:d@shop.test");
        await using var server = await StartReceiverAsync(dns);

        var reply = await SendToMxAsync(server, "someone@elsewhere.test", Message("orders@shop.test", "your order"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var junk = Assert.Single(await MailboxAsync(server, "bob@dest.test", "Junk", 1));
        Assert.Equal("fail", Result(Results(junk), "dmarc"));
        Assert.Empty(await MailboxAsync(server, "bob@dest.test", "INBOX", 0, seconds: 0));
    }

    [Fact]
    public async Task Quarantine_policy_can_be_overridden_per_From_domain()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.lists.test", "v=DMARC1; p=reject");
        await using var server = await StartReceiverAsync(dns, new()
        {
            ["MailAuth:Domains:0:Domain"] = "lists.test",
            ["MailAuth:Domains:0:OnReject"] = "None",
        });

        var reply = await SendToMxAsync(server, "list@relay.test", Message("member@lists.test", "list post"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var message = Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1));
        Assert.Equal("fail", Result(Results(message), "dmarc"));
    }

    [Fact]
    public async Task Signature_made_by_MimeKit_DkimSigner_verifies_and_aligns()
    {
        await using var dns = TestDnsServer.Start();
        var (key, record) = RsaKey();
        dns.AddTxt("sel1._domainkey.news.test", record);
        dns.AddTxt("_dmarc.news.test", "v=DMARC1; p=reject; adkim=s");
        await using var server = await StartReceiverAsync(dns);
        var signed = SignWithMimeKit(Message("editor@news.test", "signed"), key, "news.test", "sel1", DkimSignatureAlgorithm.RsaSha256);

        var reply = await SendToMxAsync(server, "bounces@mailer.test", signed);

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
        Assert.Equal("pass", Result(results, "dkim"));
        Assert.Equal("none", Result(results, "spf"));
        Assert.Equal("pass", Result(results, "dmarc"));
        var dkim = results.Results.First(r => r.Method == "dkim");
        Assert.Contains(dkim.Properties, p => p.PropertyType == "header" && p.Property == "d" && p.Value == "news.test");
    }

    [Fact]
    public async Task Ed25519_signature_verifies()
    {
        await using var dns = TestDnsServer.Start();
        var keys = new DkimKeyStore(Path.Combine(Path.GetTempPath(), "tern-ed-" + Guid.NewGuid().ToString("N")[..8]));
        try
        {
            var generated = keys.Generate("ed.test", null, "ed25519", DateTime.UtcNow);
            dns.AddTxt($"{generated.Selector}._domainkey.ed.test", File.ReadAllText(generated.DnsPath).Trim());
            await using var server = await StartReceiverAsync(dns);
            var signed = SignWithMimeKit(Message("a@ed.test", "ed25519"), DkimKeyStore.LoadPrivateKey(generated.KeyPath), "ed.test",
                generated.Selector, DkimSignatureAlgorithm.Ed25519Sha256);

            Assert.StartsWith("250", await SendToMxAsync(server, "a@ed.test", signed), StringComparison.Ordinal);

            var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
            var dkim = results.Results.First(r => r.Method == "dkim");
            Assert.Equal("pass", dkim.Result);
            Assert.Contains(dkim.Properties, p => p.Property == "a" && p.Value == "ed25519-sha256");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(keys.Root)!, recursive: true);
        }
    }

    [Fact]
    public async Task Body_altered_after_signing_gives_dkim_fail()
    {
        await using var dns = TestDnsServer.Start();
        var (key, record) = RsaKey();
        dns.AddTxt("sel1._domainkey.news.test", record);
        await using var server = await StartReceiverAsync(dns);
        var signed = SignWithMimeKit(Message("editor@news.test", "signed", "Pay 10 EUR.\r\n"), key, "news.test", "sel1", DkimSignatureAlgorithm.RsaSha256);
        var tampered = signed.Replace("Pay 10 EUR.", "Pay 9999 EUR.", StringComparison.Ordinal);

        Assert.StartsWith("250", await SendToMxAsync(server, "editor@news.test", tampered), StringComparison.Ordinal);

        var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
        Assert.Equal("fail", Result(results, "dkim"));
    }

    [Fact]
    public async Task Bad_key_records_and_signatures_are_permerror_and_the_message_is_delivered()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("bad._domainkey.broken.test", "v=DKIM1; k=rsa; p=!!!not-base64!!!");
        dns.AddTxt("odd._domainkey.broken.test", "v=DKIM1; k=rot13; p=AAAA");
        await using var server = await StartReceiverAsync(dns);
        var message = "DKIM-Signature: v=1; a=rsa-sha256; d=broken.test; s=bad; c=relaxed/relaxed; h=from; bh=AAAA; b=AAAA\r\n"
            + "DKIM-Signature: v=1; a=rsa-sha256; d=broken.test; s=odd; c=relaxed/relaxed; h=from; bh=AAAA; b=AAAA\r\n"
            + "DKIM-Signature: v=1; a=foo-bar; d=broken.test; s=bad; h=from; bh=%%%; b=%%%\r\n"
            + "DKIM-Signature: garbage without tags\r\n"
            + "DKIM-Signature: v=1; a=rsa-sha256; d=broken.test; s=missing; h=from; bh=AAAA; b=AAAA\r\n"
            + Message("x@broken.test", "broken signatures");

        Assert.StartsWith("250", await SendToMxAsync(server, "x@broken.test", message), StringComparison.Ordinal);

        var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
        var dkim = results.Results.Where(r => r.Method == "dkim").Select(r => r.Result).ToList();
        Assert.Equal(5, dkim.Count);
        Assert.All(dkim, r => Assert.True(r is "permerror" or "fail" or "neutral", r));
    }

    [Fact]
    public async Task Temporary_DNS_failure_under_a_reject_policy_defers_with_451()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.slow.test", "v=DMARC1; p=reject");
        dns.Silence("slow.test"); // the SPF record never answers
        await using var server = await StartReceiverAsync(dns);

        var reply = await SendToMxAsync(server, "a@slow.test", Message("a@slow.test", "slow dns"));

        Assert.StartsWith("451 4.7.", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_than_10_SPF_lookups_is_permerror_in_the_header()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("loop.test", "v=spf1 include:i1.loop.test -all");
        for (int i = 1; i <= 11; i++)
            dns.AddTxt($"i{i}.loop.test", $"v=spf1 a:nothing{i}.loop.test include:i{i + 1}.loop.test ~all");
        await using var server = await StartReceiverAsync(dns);

        Assert.StartsWith("250", await SendToMxAsync(server, "a@loop.test", Message("a@loop.test", "spf loop")), StringComparison.Ordinal);

        var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
        Assert.Equal("permerror", Result(results, "spf"));
    }

    [Fact]
    public async Task Forged_Authentication_Results_claiming_our_host_is_removed()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("sender.test", "v=spf1 ip4:127.0.0.0/8 -all");
        await using var server = await StartReceiverAsync(dns);
        var message = $"Authentication-Results: {ReceiverHost}; dkim=pass header.d=bank.test\r\n"
            + "Authentication-Results: other.example; spf=pass\r\n"
            + Message("a@sender.test", "forged results");

        Assert.StartsWith("250", await SendToMxAsync(server, "a@sender.test", message), StringComparison.Ordinal);

        var delivered = Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1));
        var results = Results(delivered); // exactly one of ours
        Assert.Equal("pass", Result(results, "spf"));
        Assert.Contains("Authentication-Results: other.example; spf=pass", delivered, StringComparison.Ordinal);
        Assert.DoesNotContain("header.d=bank.test", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_without_any_records_is_accepted_with_none_results()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = await StartReceiverAsync(dns);

        Assert.StartsWith("250", await SendToMxAsync(server, "a@plain.test", Message("a@plain.test", "no records")), StringComparison.Ordinal);

        var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
        Assert.Equal("none", Result(results, "spf"));
        Assert.Equal("none", Result(results, "dkim"));
        Assert.Equal("none", Result(results, "dmarc"));
    }

    [Fact]
    public async Task Dmarc_reject_applies_to_BDAT_LAST_too()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.bank.test", "v=DMARC1; p=reject");
        await using var server = await StartReceiverAsync(dns);
        var message = Message("ceo@bank.test", "chunked forgery");
        int half = message.Length / 2;

        await using var client = await Tern.Tests.Smtp.SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<x@attacker.test>");
        await Tern.Tests.Smtp.SmtpFixture.ExpectAsync(client, "250");
        await client.SendLineAsync("RCPT TO:<bob@dest.test>");
        await Tern.Tests.Smtp.SmtpFixture.ExpectAsync(client, "250");
        await client.SendRawAsync($"BDAT {half}\r\n{message[..half]}");
        await Tern.Tests.Smtp.SmtpFixture.ExpectAsync(client, "250");
        await client.SendRawAsync($"BDAT {message.Length - half} LAST\r\n{message[half..]}");
        await Tern.Tests.Smtp.SmtpFixture.ExpectAsync(client, "550 5.7.1");
    }

    [Fact]
    public async Task Giant_header_section_is_checked_without_losing_the_message()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = await StartReceiverAsync(dns);
        var filler = string.Concat(Enumerable.Range(0, 6000).Select(i => $"X-Filler-{i}: {new string('x', 60)}\r\n"));

        var reply = await SendToMxAsync(server, "a@big.test", filler + Message("a@big.test", "big header"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var delivered = Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1));
        Assert.Equal("none", Result(Results(delivered), "dmarc"));
        Assert.Contains("X-Filler-5999", delivered, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checks_stop_at_their_deadline_with_temperror_and_the_message_is_delivered()
    {
        await using var dns = TestDnsServer.Start();
        dns.Silence("mute.test");
        await using var server = await StartReceiverAsync(dns, new()
        {
            ["Dns:TimeoutSeconds"] = "10",
            ["MailAuth:CheckTimeoutSeconds"] = "1",
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var reply = await SendToMxAsync(server, "a@mute.test", Message("a@other.test", "mute dns"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"took {clock.Elapsed}");
        Assert.Equal("temperror", Result(Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1))), "spf"));
    }
}

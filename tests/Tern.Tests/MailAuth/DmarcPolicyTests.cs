using Tern.MailAuth;
using Tern.Tests.Fixtures;
using static Tern.Tests.MailAuth.MailAuthFixture;

namespace Tern.Tests.MailAuth;

/// <summary>RFC 7489 policy discovery and alignment, end to end over SMTP with a loopback DNS server.</summary>
public sealed class DmarcPolicyTests
{
    [Fact]
    public async Task A_subdomain_without_its_own_record_gets_the_organisational_sp_policy()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.corp.test", "v=DMARC1; p=none; sp=reject");
        await using var server = await StartReceiverAsync(dns);

        Assert.StartsWith("550 5.7.1", await SendToMxAsync(server, "x@else.test", Message("hr@payroll.corp.test", "sp")), StringComparison.Ordinal);
        Assert.StartsWith("250", await SendToMxAsync(server, "x@else.test", Message("hr@corp.test", "p=none")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_spf_alignment_needs_the_identical_domain_and_relaxed_accepts_the_organisation()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("bounce.strict.test", "v=spf1 ip4:127.0.0.1 -all").AddTxt("_dmarc.strict.test", "v=DMARC1; p=reject; aspf=s");
        dns.AddTxt("bounce.relaxed.test", "v=spf1 ip4:127.0.0.1 -all").AddTxt("_dmarc.relaxed.test", "v=DMARC1; p=reject");
        await using var server = await StartReceiverAsync(dns);

        Assert.StartsWith("550 5.7.1", await SendToMxAsync(server, "b@bounce.strict.test", Message("news@strict.test", "strict")), StringComparison.Ordinal);
        Assert.StartsWith("250", await SendToMxAsync(server, "b@bounce.relaxed.test", Message("news@relaxed.test", "relaxed")), StringComparison.Ordinal);
        var results = Results(Assert.Single(await MailboxAsync(server, "bob@dest.test", "INBOX", 1)));
        Assert.Equal("pass", Result(results, "spf"));
        Assert.Equal("pass", Result(results, "dmarc"));
    }

    [Fact]
    public async Task Pct_zero_turns_reject_into_quarantine()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.trial.test", "v=DMARC1; p=reject; pct=0");
        await using var server = await StartReceiverAsync(dns);

        Assert.StartsWith("250", await SendToMxAsync(server, "x@else.test", Message("a@trial.test", "pct")), StringComparison.Ordinal);

        Assert.Single(await MailboxAsync(server, "bob@dest.test", "Junk", 1));
    }

    [Fact]
    public async Task Two_From_domains_are_each_checked_and_the_worst_policy_applies()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddTxt("_dmarc.bank.test", "v=DMARC1; p=reject");
        await using var server = await StartReceiverAsync(dns);
        var message = Message("me@harmless.test", "two authors").Replace("From: <me@harmless.test>", "From: <me@harmless.test>, <ceo@bank.test>", StringComparison.Ordinal);

        Assert.StartsWith("550 5.7.1", await SendToMxAsync(server, "me@harmless.test", message), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("mail.example.com", "example.com")]
    [InlineData("a.b.example.co.uk", "example.co.uk")]
    [InlineData("example.co.uk", "example.co.uk")]
    [InlineData("user.github.io", "user.github.io")]
    [InlineData("com", "com")]
    public void Organisational_domain_uses_the_built_in_suffix_set(string domain, string expected) =>
        Assert.Equal(expected, OrganizationalDomain.Of(domain));

    [Theory]
    [InlineData("v=DMARC1; p=quarantine; sp=none; adkim=s; aspf=r; pct=50", DmarcPolicy.Quarantine, DmarcPolicy.None, true, false, 50)]
    [InlineData("v=DMARC1;p=reject", DmarcPolicy.Reject, null, false, false, 100)]
    [InlineData("v=DMARC1; p=bogus; rua=mailto:d@x.test", DmarcPolicy.None, null, false, false, 100)]
    public void Records_parse(string text, DmarcPolicy policy, DmarcPolicy? sp, bool strictDkim, bool strictSpf, int pct)
    {
        Assert.True(DmarcRecord.IsDmarc(text));
        Assert.Equal(new DmarcRecord(policy, sp, strictDkim, strictSpf, pct), DmarcRecord.Parse(text));
    }

    [Theory]
    [InlineData("v=DMARC1; p=bogus")]
    [InlineData("v=DMARC1")]
    public void A_record_without_a_valid_policy_and_without_rua_is_ignored(string text) => Assert.Null(DmarcRecord.Parse(text));
}

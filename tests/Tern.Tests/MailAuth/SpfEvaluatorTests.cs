using System.Net;
using Tern.Configuration;
using Tern.MailAuth;
using Tern.Tests.Fixtures;

namespace Tern.Tests.MailAuth;

/// <summary>RFC 7208 check_host() against records served by a real DNS server on loopback.</summary>
public sealed class SpfEvaluatorTests : IAsyncDisposable
{
    readonly TestDnsServer dns = TestDnsServer.Start();

    public ValueTask DisposeAsync() => dns.DisposeAsync();

    SpfEvaluator Evaluator() => new(new MailAuthDns(new TernOptions { Dns = new DnsOptions { Servers = [dns.EndPoint], TimeoutSeconds = 1 } }));

    async Task<SpfResult> CheckAsync(string ip, string sender, string helo = "helo.test") =>
        (await Evaluator().CheckAsync(IPAddress.Parse(ip), sender, helo, "mx.dest.test", CancellationToken.None)).Result;

    [Theory]
    [InlineData("192.0.2.10", SpfResult.Pass)]
    [InlineData("192.0.2.200", SpfResult.Pass)]
    [InlineData("198.51.100.1", SpfResult.Fail)]
    [InlineData("2001:db8::1", SpfResult.Pass)]
    [InlineData("2001:db9::1", SpfResult.Fail)]
    [InlineData("::ffff:192.0.2.10", SpfResult.Pass)]
    public async Task Ip4_and_ip6_networks_with_cidr(string ip, SpfResult expected)
    {
        dns.AddTxt("net.test", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all");
        Assert.Equal(expected, await CheckAsync(ip, "a@net.test"));
    }

    [Fact]
    public async Task A_and_mx_mechanisms_follow_the_records_with_dual_cidr()
    {
        dns.AddTxt("am.test", "v=spf1 a mx/30 a:other.am.test//64 ~all");
        dns.AddA("am.test", "192.0.2.1");
        dns.AddMx("am.test", 10, "mail.am.test").AddA("mail.am.test", "198.51.100.8");
        dns.AddAaaa("other.am.test", "2001:db8:1:2::1");

        Assert.Equal(SpfResult.Pass, await CheckAsync("192.0.2.1", "x@am.test"));
        Assert.Equal(SpfResult.Pass, await CheckAsync("198.51.100.11", "x@am.test")); // 8/30 covers 8..11
        Assert.Equal(SpfResult.Pass, await CheckAsync("2001:db8:1:2::99", "x@am.test"));
        Assert.Equal(SpfResult.SoftFail, await CheckAsync("198.51.100.12", "x@am.test"));
    }

    [Fact]
    public async Task Include_and_redirect_and_exists_with_macros()
    {
        dns.AddTxt("inc.test", "v=spf1 include:spf.provider.test redirect=_spf.inc.test");
        dns.AddTxt("spf.provider.test", "v=spf1 ip4:203.0.113.0/24 -all");
        dns.AddTxt("_spf.inc.test", "v=spf1 exists:%{ir}.%{l1r+-}._x.inc.test -all");
        dns.AddA("5.2.0.192.alice._x.inc.test", "127.0.0.2");

        Assert.Equal(SpfResult.Pass, await CheckAsync("203.0.113.7", "bob@inc.test"));
        Assert.Equal(SpfResult.Pass, await CheckAsync("192.0.2.5", "alice@inc.test"));
        Assert.Equal(SpfResult.Fail, await CheckAsync("192.0.2.5", "carol@inc.test"));
    }

    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%%%_%-", "% %20")]
    public void Macros_expand_as_in_RFC_7208_section_7_4(string macro, string expected)
    {
        // RFC 7208 7.4: the examples use sender strong-bad@email.example.com and IP 192.0.2.3.
        var context = new SpfContext(IPAddress.Parse("192.0.2.3"), "strong-bad@email.example.com", "mx.example.org", "mx.dest.test", "email.example.com");
        Assert.True(SpfMacro.TryExpand(macro, context, null, explanation: false, out var result));
        Assert.Equal(expected, result);
    }

    [Fact]
    public void Ipv6_macro_is_dotted_nibbles()
    {
        var context = new SpfContext(IPAddress.Parse("2001:db8::cb01"), "a@b.test", "h", "r", "b.test");
        Assert.True(SpfMacro.TryExpand("%{ir}.%{v}._spf.%{d2}", context, null, false, out var result));
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.b.test", result);
    }

    [Fact]
    public async Task More_than_ten_lookups_is_permerror()
    {
        dns.AddTxt("many.test", "v=spf1 " + string.Join(' ', Enumerable.Range(1, 11).Select(i => $"a:h{i}.many.test")) + " -all");
        for (int i = 1; i <= 11; i++)
            dns.AddA($"h{i}.many.test", "192.0.2.99");
        Assert.Equal(SpfResult.PermError, await CheckAsync("192.0.2.1", "a@many.test"));
    }

    [Fact]
    public async Task More_than_two_void_lookups_is_permerror()
    {
        dns.AddTxt("void.test", "v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test -all");
        Assert.Equal(SpfResult.PermError, await CheckAsync("192.0.2.1", "a@void.test"));
    }

    [Theory]
    [InlineData("v=spf1 ip4:192.0.2.300 -all")]
    [InlineData("v=spf1 foo:bar -all")]
    [InlineData("v=spf1 redirect=a.test redirect=b.test")]
    [InlineData("v=spf1 ip4:192.0.2.0/33")]
    [InlineData("v=spf1 include:%{z}.test")]
    [InlineData("v=spf1 a:%{d0}.test")]
    public async Task Syntax_errors_are_permerror(string record)
    {
        dns.AddTxt("syntax.test", record);
        Assert.Equal(SpfResult.PermError, await CheckAsync("192.0.2.1", "a@syntax.test"));
    }

    [Fact]
    public async Task Two_spf_records_are_permerror_and_none_is_none_and_unknown_modifiers_are_ignored()
    {
        dns.AddTxt("two.test", "v=spf1 -all").AddTxt("two.test", "v=spf1 +all");
        dns.AddTxt("other.test", "google-site-verification=abc");
        dns.AddTxt("mod.test", "v=spf1 foo=bar +all");
        Assert.Equal(SpfResult.PermError, await CheckAsync("192.0.2.1", "a@two.test"));
        Assert.Equal(SpfResult.None, await CheckAsync("192.0.2.1", "a@other.test"));
        Assert.Equal(SpfResult.None, await CheckAsync("192.0.2.1", "a@nowhere.test"));
        Assert.Equal(SpfResult.Pass, await CheckAsync("192.0.2.1", "a@mod.test"));
    }

    [Fact]
    public async Task Include_of_a_domain_without_record_is_permerror_and_a_timeout_is_temperror()
    {
        dns.AddTxt("inc.test", "v=spf1 include:missing.test -all");
        dns.AddTxt("slowinc.test", "v=spf1 include:slow.test -all");
        dns.Silence("slow.test");
        Assert.Equal(SpfResult.PermError, await CheckAsync("192.0.2.1", "a@inc.test"));
        Assert.Equal(SpfResult.TempError, await CheckAsync("192.0.2.1", "a@slowinc.test"));
    }

    [Fact]
    public async Task Null_sender_is_checked_as_postmaster_at_the_helo_name()
    {
        dns.AddTxt("helo.example", "v=spf1 ip4:192.0.2.1 -all");
        var outcome = await Evaluator().CheckAsync(IPAddress.Parse("192.0.2.1"), "", "helo.example", "mx.dest.test", CancellationToken.None);
        Assert.Equal(SpfResult.Pass, outcome.Result);
        Assert.Equal("helo.example", outcome.Domain);
    }

    [Fact]
    public async Task Fail_carries_the_expanded_explanation()
    {
        dns.AddTxt("exp.test", "v=spf1 -all exp=why.exp.test");
        dns.AddTxt("why.exp.test", "%{i} is not one of %{d}'s senders");
        var outcome = await Evaluator().CheckAsync(IPAddress.Parse("192.0.2.1"), "a@exp.test", "h", "mx.dest.test", CancellationToken.None);
        Assert.Equal(SpfResult.Fail, outcome.Result);
        Assert.Equal("192.0.2.1 is not one of exp.test's senders", outcome.Explanation);
    }

    [Fact]
    public async Task Ptr_matches_a_validated_name()
    {
        dns.AddTxt("ptr.test", "v=spf1 ptr -all");
        dns.AddPtr("192.0.2.9", "host.ptr.test").AddA("host.ptr.test", "192.0.2.9");
        dns.AddPtr("192.0.2.10", "liar.ptr.test").AddA("liar.ptr.test", "192.0.2.77");
        Assert.Equal(SpfResult.Pass, await CheckAsync("192.0.2.9", "a@ptr.test"));
        Assert.Equal(SpfResult.Fail, await CheckAsync("192.0.2.10", "a@ptr.test"));
    }
}

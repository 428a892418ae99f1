using Tern.Delivery.Remote;

namespace Tern.Tests.Relay;

/// <summary>RFC 8461 3.1/3.2 parsing and RFC 8461 4.1 MX matching.</summary>
public sealed class MtaStsPolicyTests
{
    [Fact]
    public void Policy_with_CRLF_or_LF_lines_parses_and_repeated_mx_lines_add_up()
    {
        Assert.True(MtaStsPolicy.TryParse("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\nmx: *.example.net\nmax_age: 604800\n", out var policy, out var error), error);
        Assert.Equal(MtaStsMode.Enforce, policy.Mode);
        Assert.Equal(["mx1.example.com", "*.example.net"], policy.MxPatterns);
        Assert.Equal(604800, policy.MaxAgeSeconds);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1\n", "no version field")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "is not STSv1")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "is not enforce, testing or none")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx field")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: soon\n", "is not a number")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", "is not a number")]
    [InlineData("version: STSv1\nmode: enforce\nmx: bad_host!\nmax_age: 1\n", "is not a host name")]
    [InlineData("<html>not a policy</html>", "is not 'key: value'")]
    public void Malformed_policies_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(MtaStsPolicy.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_age_is_capped_at_a_year_and_mode_none_needs_no_mx()
    {
        Assert.True(MtaStsPolicy.TryParse("version: STSv1\nmode: none\nmax_age: 9999999999\n", out var policy, out _));
        Assert.Equal(MtaStsPolicy.MaxMaxAge, policy.MaxAgeSeconds);
    }

    [Theory]
    [InlineData("mx.example.com", true)]
    [InlineData("MX.Example.COM.", true)]
    [InlineData("other.example.net", true)]
    [InlineData("example.net", false)]
    [InlineData("a.b.example.net", false)]
    [InlineData("mx.example.org", false)]
    public void Wildcards_cover_exactly_one_leftmost_label(string host, bool matches)
    {
        var policy = new MtaStsPolicy(MtaStsMode.Enforce, ["mx.example.com", "*.example.net"], 60);
        Assert.Equal(matches, policy.Matches(host));
    }

    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z;", true, "20160831085700Z")]
    [InlineData("v=STSv1;id=abc", true, "abc")]
    [InlineData("v=STSv1; id=has-dash", false, "")]
    [InlineData("v=STSv1;", false, "")]
    [InlineData("v=spf1 -all", false, "")]
    public void Txt_record_id_is_letters_and_digits(string record, bool valid, string id)
    {
        Assert.Equal(valid, MtaStsPolicy.TryParseTxt(record, out var parsed, out _));
        Assert.Equal(id, parsed);
    }
}

using Tern.Accounts;

namespace Tern.Tests.Accounts;

public sealed class AccountAddressTests
{
    [Theory]
    [InlineData("  Alice@Example.COM ", "Alice@example.com")]
    [InlineData("first.last+tag@sub.example.org", "first.last+tag@sub.example.org")]
    [InlineData("user@example.com.", "user@example.com")]
    [InlineData("josé@exämple.de", "josé@exämple.de")]
    public void Address_is_trimmed_and_its_domain_lower_cased(string input, string expected)
    {
        Assert.Equal(expected, AccountAddress.Normalize(input));
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("@example.com")]
    [InlineData("alice@")]
    [InlineData("al ice@example.com")]
    [InlineData("alice\t@example.com")]
    [InlineData("alice\u0001@example.com")]
    [InlineData(".alice@example.com")]
    [InlineData("al..ice@example.com")]
    [InlineData("\"quoted\"@example.com")]
    [InlineData("alice@exa mple.com")]
    [InlineData("alice@-example.com")]
    [InlineData("alice@example..com")]
    [InlineData("alice@exa_mple.com")]
    [InlineData("alice@[127.0.0.1]")]
    public void Invalid_address_is_refused(string input)
    {
        Assert.False(AccountAddress.TryNormalize(input, out _, out var error));
        Assert.NotEmpty(error);
        Assert.Throws<AccountException>(() => AccountAddress.Normalize(input));
    }

    [Fact]
    public void Length_limits_of_RFC_5321_are_enforced()
    {
        // RFC 5321 4.5.3.1.1: local part up to 64 octets.
        Assert.True(AccountAddress.TryNormalize(new string('a', 64) + "@example.com", out _, out _));
        Assert.False(AccountAddress.TryNormalize(new string('a', 65) + "@example.com", out _, out _));
        // RFC 1035 2.3.4: labels up to 63 octets.
        Assert.True(AccountAddress.TryNormalizeDomain(new string('d', 63) + ".com", out _, out _));
        Assert.False(AccountAddress.TryNormalizeDomain(new string('d', 64) + ".com", out _, out _));
        // RFC 5321 4.5.3.1.3: the whole path (with < >) up to 256 octets, so 254 for the address.
        var domain = string.Join('.', Enumerable.Repeat(new string('d', 60), 3)) + "." + new string('e', 6); // 189 octets
        Assert.True(AccountAddress.TryNormalize(new string('a', 64) + "@" + domain, out var ok, out _));
        Assert.Equal(254, ok.Length);
        Assert.False(AccountAddress.TryNormalize(new string('a', 64) + "@" + domain + "e", out _, out _));
        // Octets, not characters: 33 two-octet characters are 66 octets.
        Assert.False(AccountAddress.TryNormalize(new string('é', 33) + "@example.com", out _, out _));
    }
}

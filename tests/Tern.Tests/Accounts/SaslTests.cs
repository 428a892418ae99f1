using System.Text;
using Tern.Accounts;

namespace Tern.Tests.Accounts;

public sealed class SaslTests
{
    static bool Parse(string message, out string authzid, out string authcid, out string password) =>
        SaslPlain.TryParse(Encoding.UTF8.GetBytes(message), out authzid, out authcid, out password);

    [Fact]
    public void Plain_without_authorization_identity_parses()
    {
        Assert.True(Parse("\0alice@example.com\0secret", out var authzid, out var authcid, out var password));
        Assert.Equal("", authzid);
        Assert.Equal("alice@example.com", authcid);
        Assert.Equal("secret", password);
    }

    [Fact]
    public void Plain_with_authorization_identity_parses()
    {
        Assert.True(Parse("admin@example.com\0alice@example.com\0pässwörd with spaces", out var authzid, out var authcid, out var password));
        Assert.Equal("admin@example.com", authzid);
        Assert.Equal("alice@example.com", authcid);
        Assert.Equal("pässwörd with spaces", password);
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice secret")]
    [InlineData("\0alice")]                 // one NUL only
    [InlineData("\0\0secret")]             // empty authcid
    [InlineData("\0alice\0")]              // empty password
    [InlineData("\0alice\0sec\0ret")]      // a third NUL
    [InlineData("a\0b\0c\0")]
    public void Malformed_plain_message_is_refused(string message)
    {
        Assert.False(Parse(message, out _, out _, out _));
    }

    [Fact]
    public void Plain_with_invalid_utf8_is_refused()
    {
        byte[] message = [0, (byte)'a', 0, 0xC3, 0x28];
        Assert.False(SaslPlain.TryParse(message, out _, out _, out _));
    }

    [Fact]
    public void Plain_decodes_a_real_client_message()
    {
        // What a client sends for user "tim", password "tanstaaftanstaaf" (RFC 4616 4 example).
        var decoded = Convert.FromBase64String(Convert.ToBase64String(Encoding.UTF8.GetBytes("\0tim\0tanstaaftanstaaf")));
        Assert.True(SaslPlain.TryParse(decoded, out var authzid, out var authcid, out var password));
        Assert.Equal(("", "tim", "tanstaaftanstaaf"), (authzid, authcid, password));
    }

    [Theory]
    [InlineData("", "alice@example.com", true)]
    [InlineData("alice@example.com", "alice@example.com", true)]
    [InlineData("ALICE@Example.COM", "alice@example.com", true)]
    [InlineData("bob@example.com", "alice@example.com", false)]
    [InlineData("alice", "alice@example.com", false)]
    public void Only_acting_as_oneself_is_authorized(string authzid, string authenticated, bool allowed)
    {
        Assert.Equal(allowed, SaslPlain.IsAuthorizationAllowed(authzid, authenticated));
    }

    [Fact]
    public void Login_challenges_are_the_base64_prompts()
    {
        Assert.Equal("Username:", Encoding.ASCII.GetString(Convert.FromBase64String(SaslLogin.UsernameChallenge)));
        Assert.Equal("Password:", Encoding.ASCII.GetString(Convert.FromBase64String(SaslLogin.PasswordChallenge)));
    }

    [Fact]
    public void Login_response_decodes_and_rejects_bad_input()
    {
        Assert.True(SaslLogin.TryDecodeResponse(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice@example.com")), out var value));
        Assert.Equal("alice@example.com", value);
        Assert.False(SaslLogin.TryDecodeResponse("not base64!", out _));
        Assert.False(SaslLogin.TryDecodeResponse(Convert.ToBase64String([0x61, 0, 0x62]), out _));
    }
}

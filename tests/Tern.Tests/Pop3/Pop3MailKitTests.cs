using MailKit.Net.Pop3;
using MailKit.Security;
using MimeKit;

namespace Tern.Tests.Pop3;

/// <summary>MailKit's Pop3Client against a real server: plain on loopback, STLS, and implicit TLS on pop3s.</summary>
public sealed class Pop3MailKitTests(Pop3ServerFixture fixture) : IClassFixture<Pop3ServerFixture>
{
    static async Task<Pop3Client> ConnectAsync(int port, SecureSocketOptions security)
    {
        var client = new Pop3Client { ServerCertificateValidationCallback = (_, _, _, _) => true, Timeout = 15_000 };
        await client.ConnectAsync("127.0.0.1", port, security);
        return client;
    }

    [Fact]
    public async Task Mailkit_runs_every_command_over_plain_loopback_with_user_pass()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("first", ".dotted line\r\nsecond line\r\n"));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("second"));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("third"));

        using var client = await ConnectAsync(fixture.Server.Pop3Port, SecureSocketOptions.None);
        Assert.False(client.IsSecure);
        Assert.True(client.Capabilities.HasFlag(Pop3Capabilities.UIDL));
        Assert.True(client.Capabilities.HasFlag(Pop3Capabilities.Top));
        Assert.True(client.Capabilities.HasFlag(Pop3Capabilities.Pipelining));
        Assert.True(client.Capabilities.HasFlag(Pop3Capabilities.ResponseCodes));
        Assert.True(client.Capabilities.HasFlag(Pop3Capabilities.StartTLS));
        Assert.Equal("Tern", client.Implementation);
        client.AuthenticationMechanisms.Clear(); // force USER/PASS
        await client.AuthenticateAsync(user.Address, Pop3Test.Password);

        Assert.Equal(3, await client.GetMessageCountAsync());
        var sizes = await client.GetMessageSizesAsync();
        var uids = await client.GetMessageUidsAsync();
        Assert.Equal(3, sizes.Count);
        Assert.Equal(3, uids.Distinct().Count());
        Assert.Equal(uids[1], await client.GetMessageUidAsync(1));
        Assert.Equal(sizes[2], await client.GetMessageSizeAsync(2));

        var message = await client.GetMessageAsync(0);
        Assert.Equal("first", message.Subject);
        Assert.StartsWith(".dotted line", message.TextBody, StringComparison.Ordinal);
        using (var raw = await client.GetStreamAsync(0))
            Assert.Equal(sizes[0], raw.Length);

        var headers = await client.GetMessageHeadersAsync(1);
        Assert.Equal("second", headers[HeaderId.Subject]);
        // Pipelined RETRs (PIPELINING).
        var all = await client.GetMessagesAsync([0, 1, 2]);
        Assert.Equal(["first", "second", "third"], all.Select(m => m.Subject));

        await client.NoOpAsync();
        await client.DeleteMessageAsync(0);
        await client.ResetAsync();
        await client.DeleteMessagesAsync([0, 2]);
        await client.DisconnectAsync(quit: true);

        var left = await Pop3Test.InboxAsync(fixture.Server, user);
        Assert.Single(left);
    }

    [Fact]
    public async Task Mailkit_upgrades_with_stls_then_authenticates_with_sasl()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("over tls"));
        using var client = await ConnectAsync(fixture.Server.Pop3Port, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        Assert.Contains("PLAIN", client.AuthenticationMechanisms);
        await client.AuthenticateAsync(user.Address, Pop3Test.Password);
        Assert.Equal("over tls", (await client.GetMessageAsync(0)).Subject);
        await client.DisconnectAsync(quit: true);
        Assert.Contains(fixture.Server.Log.Lines, l => l.Contains("C: AUTH PLAIN", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Server.Log.Lines, l => l.Contains(Pop3Test.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mailkit_uses_implicit_tls_on_pop3s()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var body = string.Concat(Enumerable.Range(0, 20_000).Select(i => (i % 7 == 0 ? "." : "") + $"line {i} of a big message\r\n"));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("big over tls", body));
        using var client = await ConnectAsync(fixture.Server.Pop3sPort, SecureSocketOptions.SslOnConnect);
        Assert.True(client.IsSecure);
        Assert.False(client.Capabilities.HasFlag(Pop3Capabilities.StartTLS));
        await client.AuthenticateAsync(user.Address, Pop3Test.Password);
        var message = await client.GetMessageAsync(0);
        Assert.Equal(body.ReplaceLineEndings("\n"), message.TextBody!.ReplaceLineEndings("\n"));
        await client.DisconnectAsync(quit: true);
    }

    [Fact]
    public async Task Mailkit_sees_in_use_for_a_second_session()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        using var first = await ConnectAsync(fixture.Server.Pop3Port, SecureSocketOptions.None);
        await first.AuthenticateAsync(user.Address, Pop3Test.Password);
        using var second = await ConnectAsync(fixture.Server.Pop3Port, SecureSocketOptions.None);
        second.AuthenticationMechanisms.Clear();
        await Assert.ThrowsAsync<AuthenticationException>(() => second.AuthenticateAsync(user.Address, Pop3Test.Password));
        Assert.Contains(fixture.Server.Log.Lines, l => l.Contains("S: -ERR [IN-USE]", StringComparison.Ordinal));
        await first.DisconnectAsync(quit: true);
    }
}

using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpAuthTests
{
    static readonly string GoodPlain = SmtpFixture.Base64("\0alice@example.com\0" + SmtpFixture.Password);

    [Fact]
    public async Task Submission_requires_auth_before_mail()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SubmissionPort);
        await client.SendLineAsync("MAIL FROM:<alice@example.com>");
        await client.ExpectAsync("530 5.7.0");
    }

    [Fact]
    public async Task Auth_plain_and_login_with_initial_response_challenge_and_cancel()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SubmissionPort);
        await client.SendLineAsync("AUTH PLAIN !!!notbase64");
        await client.ExpectAsync("501 5.5.2");
        await client.SendLineAsync("AUTH PLAIN");
        Assert.Equal("334 ", await client.ReadLineAsync());
        await client.SendLineAsync("*");
        await client.ExpectAsync("501 5.0.0");
        await client.SendLineAsync("AUTH CRAM-MD5");
        await client.ExpectAsync("504 5.5.4");
        await client.SendLineAsync("AUTH PLAIN " + SmtpFixture.Base64("\0alice@example.com\0wrong"));
        await client.ExpectAsync("535 5.7.8");
        await client.SendLineAsync("AUTH PLAIN " + SmtpFixture.Base64("\0nobody@example.com\0wrong"));
        await client.ExpectAsync("535 5.7.8");
        // An authorisation identity other than the user is refused.
        await client.SendLineAsync("AUTH PLAIN " + SmtpFixture.Base64("bob@example.com\0alice@example.com\0" + SmtpFixture.Password));
        await client.ExpectAsync("535 5.7.8");
        await client.SendLineAsync("AUTH LOGIN " + SmtpFixture.Base64("alice@example.com"));
        Assert.Equal("334 UGFzc3dvcmQ6", await client.ReadLineAsync());
        await client.SendLineAsync(SmtpFixture.Base64(SmtpFixture.Password));
        await client.ExpectAsync("235 2.7.0");
        await client.SendLineAsync("AUTH PLAIN " + GoodPlain);
        await client.ExpectAsync("503 5.5.1");
        Assert.True(server.Log.Contains("C: AUTH PLAIN ***"));
        Assert.False(server.Log.Contains(GoodPlain));
        Assert.False(server.Log.Contains(SmtpFixture.Base64(SmtpFixture.Password)));
    }

    [Fact]
    public async Task Plaintext_submission_does_not_offer_auth_unless_configured()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Auth:AllowPlaintextAuthOnLoopback"] = "false" });
        await using var client = await LineClient.ConnectAsync(server.SubmissionPort);
        await client.ExpectAsync("220");
        await client.SendLineAsync("EHLO client.example");
        var ehlo = await client.ReplyAsync();
        Assert.DoesNotContain(ehlo, l => l.Contains("AUTH", StringComparison.Ordinal));
        Assert.Contains(ehlo, l => l.EndsWith("STARTTLS", StringComparison.Ordinal));
        await client.SendLineAsync("AUTH PLAIN " + GoodPlain);
        await client.ExpectAsync("538 5.7.11");
        await client.SendLineAsync("STARTTLS");
        await client.ExpectAsync("220 2.0.0");
        await client.UpgradeAsync();
        await client.SendLineAsync("MAIL FROM:<alice@example.com>");
        await client.ExpectAsync("503 5.5.1"); // RFC 3207 4.2: EHLO again after TLS
        await client.SendLineAsync("EHLO client.example");
        Assert.Contains(await client.ReplyAsync(), l => l.EndsWith("AUTH PLAIN LOGIN", StringComparison.Ordinal));
        await client.SendLineAsync("AUTH PLAIN " + GoodPlain);
        await client.ExpectAsync("235");
    }

    [Fact]
    public async Task Authenticated_user_may_send_only_as_itself_and_may_relay()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SubmissionPort);
        await client.SendLineAsync("AUTH PLAIN " + GoodPlain);
        await client.ExpectAsync("235");
        await client.SendLineAsync("MAIL FROM:<bob@example.com>");
        await client.ExpectAsync("553 5.7.1");
        await client.SendLineAsync("MAIL FROM:<>");
        await client.ExpectAsync("553 5.7.1");
        await client.SendLineAsync("MAIL FROM:<team@example.com>"); // an alias that reaches alice
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<friend@remote.example>");
        await client.ExpectAsync("250 2.1.5");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync("From: Bob <bob@example.com>\r\nSubject: forged\r\n\r\nx\r\n.\r\n");
        await client.ExpectAsync("550 5.7.1");
        await client.SendLineAsync("MAIL FROM:<alice@example.com>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<friend@remote.example>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync("From: Alice <ALICE@example.com>\r\nSubject: fine\r\n\r\nx\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0");
        var queued = Assert.Single(await server.QueuedAsync());
        Assert.Equal("alice@example.com", queued.Envelope.Client.AuthenticatedUser);
        Assert.Equal("ESMTPA", queued.Envelope.Client.Protocol);
        Assert.Contains("(authenticated as alice@example.com)", queued.Content, StringComparison.Ordinal);
        Assert.Equal("friend@remote.example", queued.Envelope.Recipients.Single().Address);
    }

    [Fact]
    public async Task Implicit_tls_port_465_reports_esmtpsa_and_tls_in_the_trace()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Auth:AllowPlaintextAuthOnLoopback"] = "false" });
        await using var client = await SmtpFixture.ConnectAsync(server.SubmissionsPort, implicitTls: true);
        await client.SendLineAsync("STARTTLS");
        await client.ExpectAsync("503 5.5.1");
        await client.SendLineAsync("AUTH PLAIN " + GoodPlain);
        await client.ExpectAsync("235");
        await client.SendRawAsync("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
        await client.ExpectAsync("250");
        await client.ExpectAsync("250");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: tls\r\n\r\nx\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0");
        var queued = Assert.Single(await server.QueuedAsync());
        Assert.Equal("ESMTPSA", queued.Envelope.Client.Protocol);
        Assert.StartsWith("TLSv1.", queued.Envelope.Client.Tls, StringComparison.Ordinal);
        Assert.Contains("with ESMTPSA\r\n\t(TLSv1.", queued.Content, StringComparison.Ordinal);
    }
}

using Tern.Queue;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpCommandTests
{
    [Fact]
    public async Task Ehlo_lists_the_extensions_and_port_25_offers_no_auth()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await LineClient.ConnectAsync(server.SmtpPort);
        Assert.Equal("220 mail.test.example ESMTP Tern", await client.ReadLineAsync());
        await client.SendLineAsync("EHLO client.example");
        var lines = await client.ReplyAsync();
        Assert.Equal("250-mail.test.example Hello [127.0.0.1]", lines[0]);
        foreach (var ext in new[] { "PIPELINING", "SIZE 52428800", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "STARTTLS" })
            Assert.Contains(lines, l => l[4..] == ext);
        Assert.DoesNotContain(lines, l => l.Contains("AUTH", StringComparison.Ordinal));
        await client.SendLineAsync("AUTH PLAIN " + SmtpFixture.Base64("\0alice@example.com\0" + SmtpFixture.Password));
        await client.ExpectAsync("503 5.5.1");
        await client.SendLineAsync("QUIT");
        await client.ExpectAsync("221 2.0.0");
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Commands_out_of_order_get_503_and_data_without_recipients_554()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await LineClient.ConnectAsync(server.SmtpPort);
        await client.ExpectAsync("220");
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("503 5.5.1");
        await client.SendLineAsync("EHLO client.example");
        await client.ExpectAsync("250 ");
        await client.SendLineAsync("RCPT TO:<alice@example.com>");
        await client.ExpectAsync("503 5.5.1");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("503 5.5.1");
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("503 5.5.1 Nested MAIL");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("554 5.5.1 No valid recipients");
        await client.SendLineAsync("RSET");
        await client.ExpectAsync("250 2.0.0");
        await client.SendLineAsync("RCPT TO:<alice@example.com>");
        await client.ExpectAsync("503 5.5.1");
    }

    [Fact]
    public async Task Bad_input_gets_500_and_501_and_the_session_goes_on()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("FOO bar");
        await client.ExpectAsync("500 5.5.1");
        await client.SendRawAsync("NOOP\0x\r\n");
        await client.ExpectAsync("500 5.5.2 NUL");
        await client.SendRawAsync("NOOP\n");
        await client.ExpectAsync("500 5.5.2 Command line must end with <CRLF>");
        await client.SendLineAsync("NOOP " + new string('x', 5000));
        await client.ExpectAsync("500 5.5.2 Line too long");
        await client.SendLineAsync("MAIL FROM:alice@example.com");
        await client.ExpectAsync("501 5.1.7");
        await client.SendLineAsync("MAIL FROM:<a@remote.example> FOO=1");
        await client.ExpectAsync("555 5.5.4");
        await client.SendLineAsync("MAIL FROM:<a@remote.example> SIZE=abc");
        await client.ExpectAsync("501 5.5.4");
        await client.SendLineAsync("VRFY alice");
        await client.ExpectAsync("252 2.5.2");
        await client.SendLineAsync("EXPN team");
        await client.ExpectAsync("502 5.5.1");
        await client.SendLineAsync("HELP");
        await client.ExpectAsync("214 2.0.0");
        await client.SendLineAsync("NOOP");
        await client.ExpectAsync("250 2.0.0");
    }

    [Fact]
    public async Task Recipients_unknown_remote_and_routing_tricks_are_refused()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<alice@example.com>"); // a local sender grants nothing
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<nobody@example.com>");
        await client.ExpectAsync("550 5.1.1");
        await client.SendLineAsync("RCPT TO:<victim@remote.example>");
        await client.ExpectAsync("554 5.7.1");
        await client.SendLineAsync("RCPT TO:<victim%remote.example@example.com>");
        await client.ExpectAsync("553 5.7.1");
        await client.SendLineAsync("RCPT TO:<remote.example!victim@example.com>");
        await client.ExpectAsync("553 5.7.1");
        await client.SendLineAsync("RCPT TO:<\"victim@remote.example\"@example.com>");
        await client.ExpectAsync("553 5.7.1");
        await client.SendLineAsync("RCPT TO:<@example.com:victim@remote.example>");
        await client.ExpectAsync("554 5.7.1");
        await client.SendLineAsync("RCPT TO:<victim@[192.0.2.1]>");
        await client.ExpectAsync("554 5.7.1");
        await client.SendLineAsync("RCPT TO:<jürgen@example.com>");
        await client.ExpectAsync("553 5.6.7");
        await client.SendLineAsync("RCPT TO:<TEAM@Example.com>");
        await client.ExpectAsync("250 2.1.5");
    }

    [Fact]
    public async Task Helo_gets_no_extensions_and_refuses_esmtp_parameters()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await LineClient.ConnectAsync(server.SmtpPort);
        await client.ExpectAsync("220");
        await client.SendLineAsync("HELO");
        await client.ExpectAsync("501 5.5.4");
        await client.SendLineAsync("HELO old.example");
        Assert.Equal(["250 mail.test.example Hello [127.0.0.1]"], await client.ReplyAsync());
        await client.SendLineAsync("MAIL FROM:<a@remote.example> BODY=8BITMIME");
        await client.ExpectAsync("555 5.5.4");
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("250 2.1.0");
        await client.SendLineAsync("RCPT TO:<Postmaster>");
        await client.ExpectAsync("550 5.1.1"); // no postmaster user or alias in this test's domain
    }

    [Fact]
    public async Task Data_line_over_the_limit_is_refused_after_the_data()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:MaxDataLineLength"] = "1000" });
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendRawAsync("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
        await client.ExpectAsync("250");
        await client.ExpectAsync("250");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: long\r\n\r\n" + new string('y', 1001) + "\r\n.\r\n");
        await client.ExpectAsync("554 5.6.0");
        Assert.Empty(await server.QueuedAsync());
    }
}

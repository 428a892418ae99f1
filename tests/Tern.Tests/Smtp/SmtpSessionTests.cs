using Tern.Queue;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpSessionTests
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
    public async Task Mail_to_a_local_user_is_queued_with_trace_header_and_envelope()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<sender@remote.example> BODY=8BITMIME RET=HDRS ENVID=abc+2B1");
        await client.ExpectAsync("250 2.1.0");
        await client.SendLineAsync("RCPT TO:<alice@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.com");
        await client.ExpectAsync("250 2.1.5");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: hello\r\n\r\nline 1\r\n..dot line\r\n.\r\n");
        var reply = await client.ExpectAsync("250 2.0.0 Ok: queued as ");
        var id = reply["250 2.0.0 Ok: queued as ".Length..];

        var queued = Assert.Single(await server.QueuedAsync());
        Assert.Equal(id, queued.Envelope.Id);
        Assert.Equal("sender@remote.example", queued.Envelope.Sender.Address);
        Assert.Equal("8BITMIME", queued.Envelope.Sender.Body);
        Assert.Equal("HDRS", queued.Envelope.Sender.Ret);
        Assert.Equal("abc+1", queued.Envelope.Sender.EnvId);
        var rcpt = Assert.Single(queued.Envelope.Recipients);
        Assert.Equal("alice@example.com", rcpt.Address);
        Assert.Equal(["SUCCESS", "FAILURE"], rcpt.Notify);
        Assert.Equal("rfc822;alice@example.com", rcpt.OriginalRecipient);
        Assert.Equal("127.0.0.1", queued.Envelope.Client.Address);
        Assert.Equal("client.example", queued.Envelope.Client.Helo);
        Assert.Equal("ESMTP", queued.Envelope.Client.Protocol);
        Assert.StartsWith("Received: from client.example ([127.0.0.1])\r\n\tby mail.test.example (Tern) with ESMTP\r\n\tid " + id + "\r\n\tfor <alice@example.com>;", queued.Content, StringComparison.Ordinal);
        Assert.Equal("Subject: hello\r\n\r\nline 1\r\n.dot line\r\n", SmtpFixture.WithoutTrace(queued.Content));
        Assert.Equal(queued.Content.Length, queued.Envelope.Size);
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
    public async Task Recipient_limit_answers_452_and_keeps_the_accepted_ones()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:MaxRecipients"] = "1" });
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<alice@example.com>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<bob@example.com>");
        await client.ExpectAsync("452 4.5.3");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: x\r\n\r\nx\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0");
        Assert.Equal(["alice@example.com"], (await server.QueuedAsync()).Single().Envelope.Recipients.Select(r => r.Address));
    }

    [Fact]
    public async Task Declared_and_actual_size_over_the_limit_get_552_and_nothing_is_queued()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:MaxMessageSize"] = "1000" });
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<a@remote.example> SIZE=1001");
        await client.ExpectAsync("552 5.3.4");
        await client.SendLineAsync("MAIL FROM:<a@remote.example> SIZE=900");
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<alice@example.com>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 98) + "\r\n", 20)) + ".\r\n");
        await client.ExpectAsync("552 5.3.4");
        await client.SendLineAsync("NOOP");
        await client.ExpectAsync("250");
        Assert.Empty(await server.QueuedAsync());
        Assert.Empty(Directory.GetFiles(server.Queue().QueueDirectory));
    }

    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\r.\r")]
    [InlineData("\n.\r\n")]
    [InlineData("\r.\n")]
    public async Task Smuggled_end_of_data_is_not_an_end_and_the_message_is_rejected(string marker)
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("RCPT TO:<alice@example.com>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        // The smuggled transaction after the fake end must stay data: no reply for it, nothing queued for bob.
        await client.SendRawAsync("Subject: outer\r\n\r\nouter" + marker +
            "MAIL FROM:<admin@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n");
        await client.ExpectAsync("550 5.5.2");
        await client.SendLineAsync("NOOP");
        await client.ExpectAsync("250 2.0.0");
        Assert.Empty(await server.QueuedAsync());
    }

    [Fact]
    public async Task Bare_line_ends_are_normalised_when_configured()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:BareLineEndings"] = "Normalize" });
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendRawAsync("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
        await client.ExpectAsync("250");
        await client.ExpectAsync("250");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: n\r\n\r\na\nb\r.\nc\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0");
        Assert.Equal("Subject: n\r\n\r\na\r\nb\r\n.\r\nc\r\n", SmtpFixture.WithoutTrace((await server.QueuedAsync()).Single().Content));
    }

    [Fact]
    public async Task Eight_bit_data_needs_8bitmime()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        foreach (var (param, expected) in new[] { ("", "554 5.6.1"), (" BODY=8BITMIME", "250 2.0.0") })
        {
            await client.SendLineAsync("MAIL FROM:<a@remote.example>" + param);
            await client.ExpectAsync("250");
            await client.SendLineAsync("RCPT TO:<alice@example.com>");
            await client.ExpectAsync("250");
            await client.SendLineAsync("DATA");
            await client.ExpectAsync("354");
            await client.SendRawAsync("Subject: caf\u00e9\r\n\r\nna\u00efve\r\n.\r\n");
            await client.ExpectAsync(expected);
        }
        Assert.Single(await server.QueuedAsync());
    }

    [Fact]
    public async Task Pipelined_transaction_gets_every_reply_in_order()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await LineClient.ConnectAsync(server.SmtpPort);
        await client.ExpectAsync("220");
        await client.SendRawAsync("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.com>\r\n" +
            "RCPT TO:<nobody@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
        await client.ExpectAsync("250 HELP");
        await client.ExpectAsync("250 2.1.0");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("550 5.1.1");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("354");
        await client.SendRawAsync("Subject: p\r\n\r\nx\r\n.\r\nMAIL FROM:<b@remote.example>\r\nRCPT TO:<bob@example.com>\r\nBDAT 14 LAST\r\nSubject: b\r\n\r\nQUIT\r\n");
        await client.ExpectAsync("250 2.0.0 Ok: queued");
        await client.ExpectAsync("250 2.1.0");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("250 2.0.0 Ok: queued");
        await client.ExpectAsync("221");
        var queued = await server.QueuedAsync();
        Assert.Equal(2, queued.Count);
        Assert.Equal(["alice@example.com", "bob@example.com"], queued[0].Envelope.Recipients.Select(r => r.Address));
        Assert.Equal("Subject: b\r\n\r\n", SmtpFixture.WithoutTrace(queued[1].Content));
    }

    [Fact]
    public async Task Bdat_chunks_are_stored_exactly_and_a_refused_chunk_is_still_consumed()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        // Refused (no transaction), but its 10 octets must not be read as commands.
        await client.SendRawAsync("BDAT 10\r\nNOOP\r\nNOOP");
        await client.ExpectAsync("503 5.5.1");
        await client.SendRawAsync("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.com>\r\n");
        await client.ExpectAsync("250");
        await client.ExpectAsync("250");
        await client.SendRawAsync("BDAT 17\r\nSubject: c\r\n\r\n..x");
        await client.ExpectAsync("250 2.0.0 17 octets");
        await client.SendRawAsync("BDAT 5 LAST\r\n\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0 Ok: queued");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("503");
        Assert.Equal("Subject: c\r\n\r\n..x\r\n.\r\n", SmtpFixture.WithoutTrace((await server.QueuedAsync()).Single().Content));
    }

    [Fact]
    public async Task Client_disconnecting_mid_data_leaves_nothing_in_the_queue()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using (var client = await SmtpFixture.ConnectAsync(server.SmtpPort))
        {
            await client.SendLineAsync("MAIL FROM:<a@remote.example>");
            await client.ExpectAsync("250");
            await client.SendLineAsync("RCPT TO:<alice@example.com>");
            await client.ExpectAsync("250");
            await client.SendLineAsync("DATA");
            await client.ExpectAsync("354");
            await client.SendRawAsync("Subject: half\r\n\r\n" + new string('x', 100_000));
        }
        for (int i = 0; i < 100 && !server.Log.Contains("mid-message"); i++)
            await Task.Delay(20);
        Assert.True(server.Log.Contains("client disconnected mid-message; nothing queued"), string.Join("\n", server.Log.Lines));
        Assert.Empty(Directory.GetFiles(server.Queue().QueueDirectory));
    }

    [Fact]
    public async Task Too_many_errors_close_the_session_with_421()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:MaxErrors"] = "3" });
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendRawAsync("FOO\r\nBAR\r\nBAZ\r\n");
        await client.ExpectAsync("500");
        await client.ExpectAsync("500");
        await client.ExpectAsync("500");
        await client.ExpectAsync("421 4.7.0 mail.test.example Too many errors");
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Idle_client_gets_421_timeout()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:IdleTimeoutSeconds"] = "1" });
        await using var client = await LineClient.ConnectAsync(server.SmtpPort);
        await client.ExpectAsync("220");
        await client.ExpectAsync("421 4.4.2");
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Recipient_probing_is_slowed_then_disconnected()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:MaxUnknownRecipients"] = "4" });
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync("MAIL FROM:<a@remote.example>");
        await client.ExpectAsync("250");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++)
        {
            await client.SendLineAsync($"RCPT TO:<probe{i}@example.com>");
            await client.ExpectAsync("550 5.1.1");
        }
        Assert.True(watch.ElapsedMilliseconds >= 200, $"no slowdown: {watch.ElapsedMilliseconds} ms");
        await client.SendLineAsync("RCPT TO:<probe9@example.com>");
        await client.ExpectAsync("421 4.7.0");
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Stopping_server_says_421_to_idle_sessions()
    {
        await using var server = await SmtpFixture.StartAsync();
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        var stop = server.StopAsync();
        await client.ExpectAsync("421 4.3.2");
        await stop;
    }

    [Fact]
    public async Task Too_many_connections_get_the_busy_reply()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Limits:MaxConnectionsPerIp"] = "1" });
        await using var first = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await using var second = await LineClient.ConnectAsync(server.SmtpPort);
        Assert.Equal("421 4.7.0 mail.test.example Too many connections, try later", await second.ReadLineAsync());
    }
}

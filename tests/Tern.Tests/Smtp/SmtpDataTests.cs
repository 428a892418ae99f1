using Tern.Queue;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpDataTests
{
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
        var queueDirectory = server.Queue().QueueDirectory;
        for (int i = 0; i < 400 && (!server.Log.Contains("mid-message") || Directory.GetFiles(queueDirectory).Length > 0); i++)
            await Task.Delay(25);
        Assert.True(server.Log.Contains("client disconnected mid-message; nothing queued"));
        Assert.Empty(Directory.GetFiles(server.Queue().QueueDirectory));
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
}

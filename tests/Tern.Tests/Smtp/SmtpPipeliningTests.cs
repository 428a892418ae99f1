using Tern.Queue;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpPipeliningTests
{
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
}

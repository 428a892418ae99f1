using Tern.Queue;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpSmugglingTests
{
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
}

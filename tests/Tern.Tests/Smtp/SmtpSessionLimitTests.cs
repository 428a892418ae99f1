using Tern.Queue;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

public sealed class SmtpSessionLimitTests
{
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

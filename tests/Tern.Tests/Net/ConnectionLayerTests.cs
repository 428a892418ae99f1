using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Tern.Net;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Net;

public sealed class ConnectionLayerTests
{
    static Task<TernTestServer> StartEchoAsync(TimeSpan? idle = null, Dictionary<string, string?>? settings = null, string? data = null) =>
        TernTestServer.StartAsync(settings, data, services =>
            services.AddSingleton<IMailProtocol>(new EchoProtocol(idle ?? TimeSpan.FromSeconds(30))));

    [Fact]
    public async Task Listener_on_port_zero_gets_a_real_port_and_runs_the_session()
    {
        await using var server = await StartEchoAsync();
        var port = server.Listeners.PortOf("echo");
        Assert.NotEqual(0, port);
        await using var client = await LineClient.ConnectAsync(port);
        Assert.Equal("+HELLO plain", await client.ReadLineAsync());
        await client.SendLineAsync("ping");
        var pong = await client.ReadLineAsync();
        Assert.Equal("+ping", pong);
        await client.SendRawAsync("bare\n");
        Assert.Equal("+bare (bare LF)", await client.ReadLineAsync());
        await client.SendLineAsync("QUIT");
        Assert.Equal("+BYE", await client.ReadLineAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Over_long_line_is_capped_and_the_session_goes_on()
    {
        await using var server = await StartEchoAsync();
        await using var client = await LineClient.ConnectAsync(server.Listeners.PortOf("echo"));
        await client.ReadLineAsync();
        await client.SendLineAsync(new string('x', 100_000));
        Assert.Equal("-TOOLONG", await client.ReadLineAsync());
        await client.SendLineAsync("after");
        Assert.Equal("+after", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Starttls_discards_plaintext_pipelined_after_the_command()
    {
        await using var server = await StartEchoAsync();
        await using var client = await LineClient.ConnectAsync(server.Listeners.PortOf("echo"));
        Assert.Equal("+HELLO plain", await client.ReadLineAsync());
        // CVE-2011-0411: a command injected behind STARTTLS in the same packet must not run inside TLS.
        await client.SendRawAsync("STARTTLS\r\nINJECTED\r\n");
        Assert.Equal("+GO", await client.ReadLineAsync());
        await client.UpgradeAsync();
        await client.SendLineAsync("after-tls");
        Assert.Equal("+after-tls", await client.ReadLineAsync());
        Assert.True(server.Log.Contains("discarded 10 octets"));
        Assert.DoesNotContain(server.Log.Lines, l => l.Contains("C: INJECTED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Implicit_tls_listener_handshakes_before_the_session()
    {
        await using var server = await StartEchoAsync();
        await using var client = await LineClient.ConnectAsync(server.Listeners.PortOf("echos"), implicitTls: true);
        Assert.Equal("+HELLO tls", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Idle_session_is_closed_after_the_timeout()
    {
        await using var server = await StartEchoAsync(idle: TimeSpan.FromMilliseconds(400));
        await using var client = await LineClient.ConnectAsync(server.Listeners.PortOf("echo"));
        await client.ReadLineAsync();
        Assert.Equal("-TIMEOUT", await client.ReadLineAsync());
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Connections_over_the_per_address_limit_get_the_protocols_busy_reply()
    {
        await using var server = await StartEchoAsync(settings: new() { ["Limits:MaxConnectionsPerIp"] = "2" });
        var port = server.Listeners.PortOf("echo");
        await using var first = await LineClient.ConnectAsync(port);
        await using var second = await LineClient.ConnectAsync(port);
        Assert.Equal("+HELLO plain", await first.ReadLineAsync());
        Assert.Equal("+HELLO plain", await second.ReadLineAsync());
        await using var third = await LineClient.ConnectAsync(port);
        Assert.Equal("-BUSY too many connections", await third.ReadLineAsync());
        Assert.True(await third.IsClosedAsync());

        await first.SendLineAsync("QUIT");
        await first.ReadLineAsync();
        await Task.Delay(200);
        await using var fourth = await LineClient.ConnectAsync(port);
        Assert.Equal("+HELLO plain", await fourth.ReadLineAsync());
    }

    [Fact]
    public async Task Global_connection_limit_is_enforced()
    {
        await using var server = await StartEchoAsync(settings: new() { ["Limits:MaxConnections"] = "1" });
        await using var first = await LineClient.ConnectAsync(server.Listeners.PortOf("echo"));
        Assert.Equal("+HELLO plain", await first.ReadLineAsync());
        await using var second = await LineClient.ConnectAsync(server.Listeners.PortOf("echos"), implicitTls: true);
        Assert.Equal("-BUSY too many connections", await second.ReadLineAsync());
    }

    [Fact]
    public async Task Graceful_stop_lets_a_running_command_finish_and_says_goodbye_to_idle_sessions()
    {
        var server = await StartEchoAsync();
        try
        {
            var port = server.Listeners.PortOf("echo");
            await using var idle = await LineClient.ConnectAsync(port);
            await using var busy = await LineClient.ConnectAsync(port);
            await idle.ReadLineAsync();
            await busy.ReadLineAsync();
            await busy.SendLineAsync("SLOW");
            await Task.Delay(200);
            var stopping = server.StopAsync();

            Assert.Equal("-SHUTDOWN", await idle.ReadLineAsync());
            Assert.Equal("+SLOW done", await busy.ReadLineAsync());
            Assert.Equal("-SHUTDOWN", await busy.ReadLineAsync());
            await stopping;
            await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => LineClient.ConnectAsync(port));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Session_log_has_commands_and_replies_with_connection_id_and_redaction()
    {
        await using var server = await StartEchoAsync();
        await using var client = await LineClient.ConnectAsync(server.Listeners.PortOf("echo"));
        await client.ReadLineAsync();
        await client.SendLineAsync("SECRET hunter2");
        await client.ReadLineAsync();
        Assert.Contains(server.Log.Lines, l => l.Contains("C: SECRET ***", StringComparison.Ordinal) && l.Contains("127.0.0.1", StringComparison.Ordinal));
        Assert.Contains(server.Log.Lines, l => l.Contains("S: +HELLO plain", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Log.Lines, l => l.Contains("hunter2 ", StringComparison.Ordinal) && l.Contains("C:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Self_signed_certificate_is_generated_once_and_reused()
    {
        var data = Path.Combine(Path.GetTempPath(), "tern-test-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            string thumbprint;
            await using (var server = await StartEchoAsync(data: data))
            {
                var file = Path.Combine(data, "tls", "cert.pem");
                Assert.True(File.Exists(file));
                using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(file));
                thumbprint = cert.Thumbprint;
                Assert.Contains("mail.test.example", cert.Subject, StringComparison.Ordinal);
                Assert.True(server.Log.Contains("generated a self-signed"));
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "tls", "key.pem")));
            }
            await using (var again = await StartEchoAsync(data: data))
            {
                using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(data, "tls", "cert.pem")));
                Assert.Equal(thumbprint, cert.Thumbprint);
                Assert.False(again.Log.Contains("generated a self-signed"));
                await using var client = await LineClient.ConnectAsync(again.Listeners.PortOf("echos"), implicitTls: true);
                Assert.Equal("+HELLO tls", await client.ReadLineAsync());
            }
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }
}

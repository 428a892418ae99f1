using Tern.Tests.Fixtures;
using Tern.Tests.Net;

namespace Tern.Tests.Pop3;

/// <summary>Behaviour that needs its own server settings: plaintext policy, timeouts, limits, restarts.</summary>
public sealed class Pop3ServerTests
{
    [Fact]
    public async Task Plaintext_login_is_refused_without_tls_until_stls()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:AllowPlaintextAuthOnLoopback"] = "false",
        });
        var user = await Pop3Test.NewUserAsync(server);
        await Pop3Test.AppendAsync(server, user, Pop3Test.Message("secret mail"));
        await using var client = await Pop3Test.ConnectAsync(server.Pop3Port);

        await client.CommandAsync("CAPA");
        var capabilities = await client.ReadMultiLineAsync();
        Assert.Contains("STLS", capabilities);
        Assert.DoesNotContain("USER", capabilities);
        Assert.DoesNotContain(capabilities, c => c.StartsWith("SASL", StringComparison.Ordinal));
        const string refused = "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections; use STLS or port 995";
        Assert.Equal(refused, await client.CommandAsync($"USER {user.Address}"));
        Assert.Equal(refused, await client.CommandAsync("AUTH PLAIN AGEAYg=="));

        // CVE-2011-0411: a command pipelined behind STLS must not run inside TLS.
        await client.SendRawAsync("STLS\r\nNOOP\r\n");
        Assert.Equal("+OK begin TLS negotiation", await client.ReadLineAsync());
        await client.UpgradeAsync();
        Assert.Equal("-ERR TLS is already active", await client.CommandAsync("STLS"));
        await client.CommandAsync("CAPA");
        capabilities = await client.ReadMultiLineAsync();
        Assert.Contains("USER", capabilities);
        Assert.Contains("SASL PLAIN LOGIN", capabilities);
        Assert.DoesNotContain("STLS", capabilities);
        string plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user.Address}\0{Pop3Test.Password}"));
        Assert.StartsWith("+OK logged in, maildrop has 1 messages", await client.CommandAsync("AUTH PLAIN " + plain), StringComparison.Ordinal);
        Assert.DoesNotContain(server.Log.Lines, l => l.Contains("C: NOOP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Idle_session_gets_autologout_and_nothing_is_deleted()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Pop3:IdleTimeoutSeconds"] = "1" });
        var user = await Pop3Test.NewUserAsync(server);
        await Pop3Test.AppendAsync(server, user, Pop3Test.Message("x"));
        await using var client = await Pop3Test.LoginAsync(server.Pop3Port, user);
        Assert.StartsWith("+OK", await client.CommandAsync("DELE 1"), StringComparison.Ordinal);
        Assert.Equal("-ERR autologout: idle for too long", await client.ReadLineAsync());
        Assert.True(await client.IsClosedAsync());
        Assert.Single(await Pop3Test.InboxAsync(server, user));
    }

    [Fact]
    public async Task Too_many_errors_close_the_session()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Pop3:MaxErrors"] = "3" });
        await using var client = await Pop3Test.ConnectAsync(server.Pop3Port);
        Assert.StartsWith("-ERR", await client.CommandAsync("BAD1"), StringComparison.Ordinal);
        Assert.StartsWith("-ERR", await client.CommandAsync("BAD2"), StringComparison.Ordinal);
        Assert.Equal("-ERR unknown command BAD (too many errors, closing connection)", await client.CommandAsync("BAD"));
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Busy_server_and_stopping_server_answer_sys_temp_and_lockout_is_temporary()
    {
        var server = await TernTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Limits:MaxConnectionsPerIp"] = "1",
            ["Auth:MaxFailuresPerIp"] = "2",
        });
        try
        {
            var user = await Pop3Test.NewUserAsync(server);
            await using var client = await Pop3Test.ConnectAsync(server.Pop3Port);

            await using (var refused = await LineClient.ConnectAsync(server.Pop3Port))
            {
                Assert.Equal("-ERR [SYS/TEMP] too many connections, try again later", await refused.ReadLineAsync());
                Assert.True(await refused.IsClosedAsync());
            }

            for (int i = 0; i < 2; i++)
            {
                await client.CommandAsync($"USER {user.Address}");
                Assert.Equal("-ERR [AUTH] authentication failed", await client.CommandAsync("PASS wrong"));
            }
            await client.CommandAsync($"USER {user.Address}");
            Assert.Equal("-ERR [SYS/TEMP] too many failed logins from your address, try again later",
                await client.CommandAsync($"PASS {Pop3Test.Password}"));

            var stop = server.StopAsync();
            Assert.Equal("-ERR [SYS/TEMP] server shutting down", await client.ReadLineAsync());
            Assert.True(await client.IsClosedAsync());
            await stop;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unique_ids_are_stable_across_a_restart()
    {
        var data = Path.Combine(Path.GetTempPath(), "tern-pop3-restart-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            Tern.Accounts.UserAccount user;
            List<string> before;
            await using (var server = await TernTestServer.StartAsync(dataDirectory: data))
            {
                user = await Pop3Test.NewUserAsync(server);
                for (int i = 0; i < 3; i++)
                    await Pop3Test.AppendAsync(server, user, Pop3Test.Message($"m{i}"));
                await using var client = await Pop3Test.LoginAsync(server.Pop3Port, user);
                await client.CommandAsync("UIDL");
                before = await client.ReadMultiLineAsync();
                await client.CommandAsync("DELE 2");
                await client.CommandAsync("QUIT");
            }
            Assert.Equal(3, before.Select(l => l.Split(' ')[1]).Distinct().Count());

            await using (var server = await TernTestServer.StartAsync(dataDirectory: data))
            {
                await Pop3Test.AppendAsync(server, user, Pop3Test.Message("after restart"));
                await using var client = await Pop3Test.LoginAsync(server.Pop3Port, user);
                await client.CommandAsync("UIDL");
                var after = (await client.ReadMultiLineAsync()).Select(l => l.Split(' ')[1]).ToList();
                Assert.Equal(4 - 1, after.Count);
                Assert.Equal(before[0].Split(' ')[1], after[0]);
                Assert.Equal(before[2].Split(' ')[1], after[1]);
                // A new message never reuses the unique-id of the deleted one.
                Assert.NotEqual(before[1].Split(' ')[1], after[2]);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Disabled_listeners_are_not_bound()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Pop3:Tls:Enabled"] = "false" });
        Assert.Contains(server.Listeners.Listeners, l => l.Role == "pop3");
        Assert.DoesNotContain(server.Listeners.Listeners, l => l.Role == "pop3s");
    }
}

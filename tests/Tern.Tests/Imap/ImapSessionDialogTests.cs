using Tern.Tests.Fixtures;

namespace Tern.Tests.Imap;

/// <summary>Recorded dialogs before login: greeting, capabilities, states, TLS and every kind of bad input.</summary>
public sealed class ImapSessionDialogTests
{
    [Fact]
    public async Task Greeting_carries_capabilities_with_STARTTLS_and_AUTH_PLAIN_on_loopback()
    {
        await using var server = await TernTestServer.StartAsync();
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 ", c.Greeting);
        Assert.Contains(" STARTTLS", c.Greeting);
        Assert.Contains(" AUTH=PLAIN", c.Greeting);
        Assert.EndsWith("] Tern ready", c.Greeting);
        var r = await c.CommandAsync("CAPABILITY");
        Assert.True(r.Ok);
        Assert.StartsWith("* CAPABILITY IMAP4rev1", Assert.Single(r.Untagged));
        var bye = await c.CommandAsync("LOGOUT");
        Assert.Equal("* BYE Logging out", Assert.Single(bye.Untagged));
        Assert.True(await c.Client.IsClosedAsync());
    }

    [Fact]
    public async Task Without_TLS_and_without_permission_LOGIN_is_refused_and_LOGINDISABLED_advertised()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Auth:AllowPlaintextAuthOnLoopback"] = "false" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        Assert.Contains("LOGINDISABLED", c.Greeting);
        Assert.DoesNotContain("AUTH=PLAIN", c.Greeting);
        var r = await c.CommandAsync("LOGIN a@b.example pw");
        Assert.StartsWith("NO [PRIVACYREQUIRED]", r.Tagged);
        r = await c.CommandAsync("AUTHENTICATE PLAIN AGEAYg==");
        Assert.StartsWith("NO [PRIVACYREQUIRED]", r.Tagged);
        Assert.DoesNotContain(server.Log.Lines, l => l.Contains("a@b.example pw", StringComparison.Ordinal));
    }

    [Fact]
    public async Task STARTTLS_upgrades_and_then_AUTH_PLAIN_is_offered()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Auth:AllowPlaintextAuthOnLoopback"] = "false" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        var r = await c.CommandAsync("STARTTLS");
        Assert.Equal("OK Begin TLS negotiation now", r.Tagged);
        await c.Client.UpgradeAsync();
        r = await c.CommandAsync("CAPABILITY");
        Assert.DoesNotContain("STARTTLS", r.Untagged[0]);
        Assert.Contains("AUTH=PLAIN", r.Untagged[0]);
        r = await c.CommandAsync("STARTTLS");
        Assert.StartsWith("BAD", r.Tagged);
    }

    [Fact]
    public async Task Implicit_TLS_port_greets_without_STARTTLS()
    {
        await using var server = await TernTestServer.StartAsync();
        await using var c = await ImapDialog.ConnectAsync(server.ImapsPort, implicitTls: true);
        Assert.StartsWith("* OK [CAPABILITY", c.Greeting);
        Assert.DoesNotContain("STARTTLS", c.Greeting);
    }

    [Fact]
    public async Task Commands_in_the_wrong_state_and_grammar_errors_get_BAD_and_the_session_goes_on()
    {
        await using var server = await TernTestServer.StartAsync();
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        Assert.Equal("BAD SELECT is not valid in the not authenticated state", (await c.CommandAsync("SELECT INBOX")).Tagged);
        Assert.StartsWith("BAD Unknown command FROB", (await c.CommandAsync("FROB")).Tagged);
        Assert.StartsWith("BAD Unknown command UID NOOP", (await c.CommandAsync("UID NOOP")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("NOOP extra")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("LOGIN \"unterminated")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("ID ((((\"a\" \"b\"))))")).Tagged);
        await c.Client.SendLineAsync("+bad NOOP");
        Assert.Equal("* BAD Invalid tag", await c.Client.ReadLineAsync());
        Assert.True((await c.CommandAsync("NOOP")).Ok);
    }

    [Fact]
    public async Task Overlong_command_line_gets_BAD_with_its_tag_and_the_session_goes_on()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Imap:MaxLineLength"] = "1000" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.Client.SendLineAsync("long1 NOOP " + new string('x', 100_000));
        Assert.Equal("long1 BAD Command line too long", await c.Client.ReadLineAsync());
        Assert.True((await c.CommandAsync("NOOP")).Ok);
    }

    [Fact]
    public async Task Synchronising_literal_over_the_limit_is_refused_before_any_data_and_the_session_goes_on()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Imap:MaxLiteralSize"] = "1000" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.Client.SendLineAsync("big1 LOGIN {4000000000}");
        Assert.StartsWith("big1 NO [TOOBIG]", await c.Client.ReadLineAsync());
        Assert.True((await c.CommandAsync("NOOP")).Ok);
    }

    [Fact]
    public async Task Non_synchronising_literal_over_the_limit_gets_BAD_and_the_connection_closes()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Imap:MaxLiteralSize"] = "1000" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.Client.SendLineAsync("big2 LOGIN {5000+}");
        Assert.StartsWith("big2 BAD [TOOBIG]", await c.Client.ReadLineAsync());
        Assert.StartsWith("* BYE", await c.Client.ReadLineAsync());
        Assert.True(await c.Client.IsClosedAsync());
    }

    [Fact]
    public async Task Literal_within_the_limit_gets_a_continuation()
    {
        await using var server = await TernTestServer.StartAsync();
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.Client.SendLineAsync("l1 ID ({4}");
        Assert.StartsWith("+ ", await c.Client.ReadLineAsync());
        await c.Client.SendLineAsync("name {4+}\r\nTest)");
        var r = await c.ReadUntilTaggedAsync("l1");
        Assert.True(r.Ok);
        Assert.StartsWith("* ID (", r.Untagged[0]);
    }

    [Fact]
    public async Task Idle_client_is_logged_out()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Imap:IdleTimeoutSeconds"] = "1" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        Assert.Equal("* BYE Autologout; idle for too long", await c.Client.ReadLineAsync());
        Assert.True(await c.Client.IsClosedAsync());
    }

    [Fact]
    public async Task Server_shutdown_says_BYE()
    {
        var server = await TernTestServer.StartAsync();
        await using (server)
        {
            await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
            var stop = server.StopAsync();
            Assert.Equal("* BYE Server shutting down", await c.Client.ReadLineAsync());
            await stop;
        }
    }

    [Fact]
    public async Task Too_many_errors_end_the_session()
    {
        await using var server = await TernTestServer.StartAsync(new Dictionary<string, string?> { ["Imap:MaxErrors"] = "3" });
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        for (int i = 0; i < 3; i++)
            await c.Client.SendLineAsync($"e{i} FROB");
        Assert.StartsWith("e0 BAD", await c.Client.ReadLineAsync());
        Assert.StartsWith("e1 BAD", await c.Client.ReadLineAsync());
        Assert.StartsWith("e2 BAD", await c.Client.ReadLineAsync());
        Assert.Equal("* BYE Too many errors", await c.Client.ReadLineAsync());
    }
}

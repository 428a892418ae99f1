using Tern.Store;

namespace Tern.Tests.Pop3;

/// <summary>Raw POP3 dialogs against a real server: exact replies, states, sizes, stuffing and deletions.</summary>
public sealed class Pop3SessionTests(Pop3ServerFixture fixture) : IClassFixture<Pop3ServerFixture>
{
    int Port => fixture.Server.Pop3Port;

    [Fact]
    public async Task Every_transaction_command_answers_per_rfc_1939()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var first = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("one", "line 1\r\nline 2\r\nline 3\r\n"));
        var second = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("two"));
        await using var client = await Pop3Test.LoginAsync(Port, user);

        Assert.Equal($"+OK 2 {first.Size + second.Size}", await client.CommandAsync("STAT"));

        Assert.StartsWith("+OK 2 messages", await client.CommandAsync("LIST"), StringComparison.Ordinal);
        Assert.Equal([$"1 {first.Size}", $"2 {second.Size}"], await client.ReadMultiLineAsync());
        Assert.Equal($"+OK 2 {second.Size}", await client.CommandAsync("LIST 2"));

        Assert.StartsWith("+OK", await client.CommandAsync("UIDL"), StringComparison.Ordinal);
        var uidValidity = first.UidValidity;
        Assert.Equal([$"1 {uidValidity}.{first.Uid}", $"2 {uidValidity}.{second.Uid}"], await client.ReadMultiLineAsync());
        Assert.Equal($"+OK 1 {uidValidity}.{first.Uid}", await client.CommandAsync("UIDL 1"));

        Assert.Equal($"+OK {first.Size} octets", await client.CommandAsync("RETR 1"));
        var message = await client.ReadMultiLineAsync();
        Assert.Contains("Subject: one", message);
        Assert.Equal(["line 1", "line 2", "line 3"], message[^3..]);

        Assert.StartsWith("+OK", await client.CommandAsync("TOP 1 1"), StringComparison.Ordinal);
        var top = await client.ReadMultiLineAsync();
        Assert.Equal("", top[^2]);
        Assert.Equal("line 1", top[^1]);

        Assert.Equal("+OK", await client.CommandAsync("NOOP"));
        Assert.Equal("+OK message 1 deleted", await client.CommandAsync("DELE 1"));
        Assert.Equal($"+OK 1 {second.Size}", await client.CommandAsync("STAT"));
        Assert.StartsWith("+OK 1 messages", await client.CommandAsync("LIST"), StringComparison.Ordinal);
        Assert.Equal([$"2 {second.Size}"], await client.ReadMultiLineAsync());
        Assert.StartsWith("+OK", await client.CommandAsync("UIDL"), StringComparison.Ordinal);
        Assert.Single(await client.ReadMultiLineAsync());
        Assert.Equal("-ERR message 1 already deleted", await client.CommandAsync("RETR 1"));
        Assert.Equal("-ERR message 1 already deleted", await client.CommandAsync("LIST 1"));
        Assert.Equal("-ERR message 1 already deleted", await client.CommandAsync("DELE 1"));
        Assert.Equal($"+OK maildrop has 2 messages ({first.Size + second.Size} octets)", await client.CommandAsync("RSET"));
        Assert.Equal($"+OK 2 {first.Size + second.Size}", await client.CommandAsync("STAT"));
        Assert.Equal("+OK message 2 deleted", await client.CommandAsync("DELE 2"));
        Assert.Equal("+OK mail.test.example Tern POP3 server signing off (1 messages left)", await client.CommandAsync("QUIT"));
        Assert.True(await client.IsClosedAsync());

        var left = await Pop3Test.InboxAsync(fixture.Server, user);
        Assert.Equal([first.Uid], left.Select(m => m.Uid));
    }

    [Fact]
    public async Task Sizes_in_list_and_stat_equal_the_octets_retr_delivers_after_unstuffing()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var bodies = new[]
        {
            ".starts with a dot\r\n..two dots\r\n.\r\nnormal\r\n",
            "no dots at all\r\n",
            string.Concat(Enumerable.Repeat(".x\r\n", 500)),
        };
        foreach (var body in bodies)
            await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("size", body));
        await using var client = await Pop3Test.LoginAsync(Port, user);
        await client.CommandAsync("LIST");
        var sizes = (await client.ReadMultiLineAsync()).Select(l => long.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        long total = 0;
        for (int i = 1; i <= bodies.Length; i++)
        {
            Assert.StartsWith("+OK", await client.CommandAsync($"RETR {i}"), StringComparison.Ordinal);
            var lines = Pop3Test.Unstuff(await client.ReadMultiLineAsync());
            long octets = lines.Sum(l => (long)l.Length + 2);
            Assert.Equal(sizes[i - 1], octets);
            total += octets;
        }
        Assert.Equal($"+OK 3 {total}", await client.CommandAsync("STAT"));
    }

    [Fact]
    public async Task Lines_starting_with_a_dot_are_stuffed_on_the_wire()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("dots", ".hidden\r\n.\r\n..\r\nend\r\n"));
        await using var client = await Pop3Test.LoginAsync(Port, user);
        await client.CommandAsync("RETR 1");
        var wire = await client.ReadMultiLineAsync();
        Assert.Equal(["..hidden", "..", "...", "end"], wire[^4..]);
        await client.CommandAsync("TOP 1 2");
        Assert.Equal(["..hidden", ".."], (await client.ReadMultiLineAsync())[^2..]);
    }

    [Fact]
    public async Task Message_without_a_final_line_end_still_ends_with_crlf_dot_crlf()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("no final newline", "last line"));
        await using var client = await Pop3Test.LoginAsync(Port, user);
        Assert.StartsWith("+OK", await client.CommandAsync("RETR 1"), StringComparison.Ordinal);
        Assert.Equal("last line", (await client.ReadMultiLineAsync())[^1]);
        Assert.Equal("+OK", await client.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Retr_marks_the_message_seen_and_top_does_not()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("a"));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("b"));
        await using (var client = await Pop3Test.LoginAsync(Port, user))
        {
            await client.CommandAsync("TOP 1 0");
            await client.ReadMultiLineAsync();
            await client.CommandAsync("RETR 2");
            await client.ReadMultiLineAsync();
            Assert.StartsWith("+OK", await client.CommandAsync("QUIT"), StringComparison.Ordinal);
        }
        var inbox = await Pop3Test.InboxAsync(fixture.Server, user);
        Assert.Equal(MessageFlags.None, inbox[0].Flags & MessageFlags.Seen);
        Assert.Equal(MessageFlags.Seen, inbox[1].Flags & MessageFlags.Seen);
    }

    [Fact]
    public async Task Retrieved_messages_are_seen_even_when_the_client_drops_without_quit()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("a"));
        await using (var client = await Pop3Test.LoginAsync(Port, user))
        {
            await client.CommandAsync("RETR 1");
            await client.ReadMultiLineAsync();
        }
        await using var again = await LoginWhenUnlockedAsync(user);
        var inbox = await Pop3Test.InboxAsync(fixture.Server, user);
        Assert.Equal(MessageFlags.Seen, inbox[0].Flags & MessageFlags.Seen);
    }

    [Fact]
    public async Task Dropped_connection_deletes_nothing_and_releases_the_lock()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("keep me"));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("keep me too"));
        await using (var client = await Pop3Test.LoginAsync(Port, user))
        {
            Assert.StartsWith("+OK", await client.CommandAsync("DELE 1"), StringComparison.Ordinal);
            Assert.StartsWith("+OK", await client.CommandAsync("DELE 2"), StringComparison.Ordinal);
        }
        // The next login can only succeed once the dropped session has let go of the maildrop.
        await using var again = await LoginWhenUnlockedAsync(user);
        Assert.Equal(2, (await Pop3Test.InboxAsync(fixture.Server, user)).Count);
        Assert.StartsWith("+OK 2 ", await again.CommandAsync("STAT"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quit_in_authorization_state_deletes_nothing()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("x"));
        await using var client = await Pop3Test.ConnectAsync(Port);
        Assert.Equal("+OK mail.test.example Tern POP3 server signing off", await client.CommandAsync("QUIT"));
        Assert.True(await client.IsClosedAsync());
        Assert.Single(await Pop3Test.InboxAsync(fixture.Server, user));
    }

    [Fact]
    public async Task Second_session_gets_in_use_while_the_store_keeps_working()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var first = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("first"));
        await using var holder = await Pop3Test.LoginAsync(Port, user);

        await using (var second = await Pop3Test.ConnectAsync(Port))
        {
            await second.CommandAsync($"USER {user.Address}");
            Assert.Equal("-ERR [IN-USE] maildrop is locked by another POP3 session", await second.CommandAsync($"PASS {Pop3Test.Password}"));
            // Still in AUTHORIZATION: transaction commands are refused, QUIT works.
            Assert.StartsWith("-ERR", await second.CommandAsync("STAT"), StringComparison.Ordinal);
        }

        // What IMAP does meanwhile: append, flag, expunge-less flag changes: all go through.
        var appended = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("appended by IMAP"));
        var store = fixture.Server.Services.GetService(typeof(IMailStore)) as IMailStore;
        await using (var account = await store!.OpenAccountAsync(user.Id))
        {
            var inbox = await account.GetMailboxAsync("INBOX");
            await account.StoreFlagsAsync(inbox!.Id, UidSet.Of(first.Uid), new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        }

        // The holder's listing is the snapshot taken at login (RFC 1939 4): the new message is not in it.
        Assert.Equal($"+OK 1 {first.Size}", await holder.CommandAsync("STAT"));
        Assert.StartsWith("+OK", await holder.CommandAsync("QUIT"), StringComparison.Ordinal);

        await using var next = await LoginWhenUnlockedAsync(user);
        Assert.Equal($"+OK 2 {first.Size + appended.Size}", await next.CommandAsync("STAT"));
    }

    [Fact]
    public async Task Messages_appended_during_a_session_show_up_in_the_next_session()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var first = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("before"));
        await using (var client = await Pop3Test.LoginAsync(Port, user))
        {
            var appended = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("appended by IMAP"));
            Assert.Equal($"+OK 1 {first.Size}", await client.CommandAsync("STAT"));
            Assert.Equal("-ERR no such message, only 1 messages in maildrop", await client.CommandAsync("RETR 2"));
            Assert.StartsWith("+OK", await client.CommandAsync("QUIT"), StringComparison.Ordinal);
        }
        await using var next = await Pop3Test.LoginAsync(Port, user);
        Assert.StartsWith("+OK 2 ", await next.CommandAsync("STAT"), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await next.CommandAsync("RETR 2"), StringComparison.Ordinal);
        Assert.Contains("Subject: appended by IMAP", await next.ReadMultiLineAsync());
    }

    [Fact]
    public async Task Deletions_at_quit_remove_only_the_marked_uids()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var a = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("a"));
        var b = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("b"));
        // Flagged \Deleted by an IMAP client but not expunged: POP3's QUIT must leave it alone.
        var c = await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("c"), MessageFlags.Deleted);
        await using var client = await Pop3Test.LoginAsync(Port, user);
        Assert.StartsWith("+OK 3 ", await client.CommandAsync("STAT"), StringComparison.Ordinal);
        await client.CommandAsync("DELE 1");
        Assert.StartsWith("+OK", await client.CommandAsync("QUIT"), StringComparison.Ordinal);
        var left = await Pop3Test.InboxAsync(fixture.Server, user);
        Assert.Equal([b.Uid, c.Uid], left.Select(m => m.Uid));
        Assert.DoesNotContain(a.Uid, left.Select(m => m.Uid));
    }

    [Fact]
    public async Task Bad_input_gets_err_and_the_session_goes_on()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("x"));
        await using var client = await Pop3Test.ConnectAsync(Port);
        Assert.Equal("-ERR STAT is not valid now: not logged in", await client.CommandAsync("STAT"));
        Assert.Equal("-ERR send USER first", await client.CommandAsync("PASS x"));
        Assert.Equal("-ERR unknown command XYZZY", await client.CommandAsync("XYZZY"));
        Assert.Equal("-ERR unknown command APOP", await client.CommandAsync("APOP joe c4c9334bac560ecc979e58001b3e22fb"));
        Assert.Equal("-ERR empty command", await client.CommandAsync(""));
        Assert.Equal("-ERR line too long (at most 1024 octets)", await client.CommandAsync("NOOP " + new string('x', 5000)));
        // USER then another command: PASS is no longer valid (RFC 1939 7, "immediately after").
        await client.CommandAsync($"USER {user.Address}");
        await client.CommandAsync("CAPA");
        await client.ReadMultiLineAsync();
        Assert.Equal("-ERR send USER first", await client.CommandAsync($"PASS {Pop3Test.Password}"));
        await client.CommandAsync($"USER {user.Address}");
        Assert.StartsWith("+OK", await client.CommandAsync($"PASS {Pop3Test.Password}"), StringComparison.Ordinal);

        Assert.Equal("-ERR USER is not valid now: already logged in", await client.CommandAsync("USER x"));
        Assert.Equal("-ERR STLS is not valid now: already logged in", await client.CommandAsync("STLS"));
        Assert.Equal("-ERR invalid message number '0'", await client.CommandAsync("RETR 0"));
        Assert.Equal("-ERR invalid message number '-1'", await client.CommandAsync("DELE -1"));
        Assert.Equal("-ERR invalid message number 'abc'", await client.CommandAsync("LIST abc"));
        Assert.Equal("-ERR no such message, only 1 messages in maildrop", await client.CommandAsync("RETR 2"));
        Assert.Equal("-ERR no such message, only 1 messages in maildrop", await client.CommandAsync("UIDL 99999999"));
        Assert.Equal("-ERR usage: RETR msg", await client.CommandAsync("RETR"));
        Assert.Equal("-ERR usage: TOP msg n", await client.CommandAsync("TOP 1"));
        Assert.Equal("-ERR invalid number of lines '-3'", await client.CommandAsync("TOP 1 -3"));
        Assert.Equal("-ERR usage: LIST [msg]", await client.CommandAsync("LIST 1 2"));
        Assert.Equal("+OK", await client.CommandAsync("NOOP"));
        Assert.StartsWith("+OK 1 ", await client.CommandAsync("STAT"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capa_lists_the_extensions_for_the_state()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await using var client = await Pop3Test.ConnectAsync(Port);
        Assert.Equal("+OK capability list follows", await client.CommandAsync("CAPA"));
        Assert.Equal(
            ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN LOGIN", "STLS", "IMPLEMENTATION Tern"],
            await client.ReadMultiLineAsync());
        await client.CommandAsync($"USER {user.Address}");
        await client.CommandAsync($"PASS {Pop3Test.Password}");
        await client.CommandAsync("CAPA");
        Assert.Equal(["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION Tern"], await client.ReadMultiLineAsync());
    }

    [Fact]
    public async Task Pipelined_commands_are_answered_in_order()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("p1"));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("p2"));
        await using var client = await Pop3Test.ConnectAsync(Port);
        await client.SendRawAsync($"USER {user.Address}\r\nPASS {Pop3Test.Password}\r\nSTAT\r\nRETR 1\r\nRETR 2\r\nDELE 1\r\nNOOP\r\n");
        Assert.StartsWith("+OK", await client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.StartsWith("+OK logged in", await client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.StartsWith("+OK 2 ", await client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.StartsWith("+OK", await client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Contains("Subject: p1", await client.ReadMultiLineAsync());
        Assert.StartsWith("+OK", await client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Contains("Subject: p2", await client.ReadMultiLineAsync());
        Assert.Equal("+OK message 1 deleted", await client.ReadLineAsync());
        Assert.Equal("+OK", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Failed_login_says_auth_and_passwords_never_reach_the_log()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        await using var client = await Pop3Test.ConnectAsync(Port);
        await client.CommandAsync($"USER {user.Address}");
        Assert.Equal("-ERR [AUTH] authentication failed", await client.CommandAsync("PASS wrong-password-xyz"));
        // After a failed PASS, USER must come again.
        Assert.Equal("-ERR send USER first", await client.CommandAsync($"PASS {Pop3Test.Password}"));
        await client.CommandAsync($"USER nobody-{Guid.NewGuid():N}@pop.example");
        Assert.Equal("-ERR [AUTH] authentication failed", await client.CommandAsync("PASS whatever-else-xyz"));
        Assert.Equal("-ERR [AUTH] authentication failed",
            await client.CommandAsync("AUTH PLAIN " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user.Address}\0wrong-plain-xyz"))));
        Assert.Contains(fixture.Server.Log.Lines, l => l.Contains("C: PASS ***", StringComparison.Ordinal));
        Assert.Contains(fixture.Server.Log.Lines, l => l.Contains("C: AUTH PLAIN ***", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Server.Log.Lines, l => l.Contains("wrong-password-xyz", StringComparison.Ordinal)
            || l.Contains("whatever-else-xyz", StringComparison.Ordinal) || l.Contains("wrong-plain", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_vanishing_mid_retr_deletes_nothing()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        var big = string.Concat(Enumerable.Repeat(new string('y', 998) + "\r\n", 4000)); // ~4 MB
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("big", big));
        await Pop3Test.AppendAsync(fixture.Server, user, Pop3Test.Message("small"));
        await using (var client = await Pop3Test.LoginAsync(Port, user))
        {
            await client.CommandAsync("DELE 2");
            await client.SendLineAsync("RETR 1");
            Assert.StartsWith("+OK", await client.ReadLineAsync(), StringComparison.Ordinal);
        }
        await using var again = await LoginWhenUnlockedAsync(user);
        Assert.StartsWith("+OK 2 ", await again.CommandAsync("STAT"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auth_plain_with_and_without_initial_response_and_cancel()
    {
        var user = await Pop3Test.NewUserAsync(fixture.Server);
        string plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{user.Address}\0{Pop3Test.Password}"));
        await using (var client = await Pop3Test.ConnectAsync(Port))
        {
            Assert.Equal("+ ", await client.CommandAsync("AUTH PLAIN"));
            Assert.Equal("-ERR authentication cancelled", await client.CommandAsync("*"));
            Assert.Equal("+ ", await client.CommandAsync("AUTH PLAIN"));
            Assert.Equal("-ERR [AUTH] invalid base64 data", await client.CommandAsync("%%%"));
            Assert.Equal("-ERR [AUTH] malformed PLAIN response", await client.CommandAsync("AUTH PLAIN ="));
            Assert.Equal("-ERR unsupported authentication mechanism CRAM-MD5", await client.CommandAsync("AUTH CRAM-MD5"));
            string other = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"boss@pop.example\0{user.Address}\0{Pop3Test.Password}"));
            Assert.Equal("-ERR [AUTH] may not act as another user", await client.CommandAsync("AUTH PLAIN " + other));
            Assert.Equal("+ ", await client.CommandAsync("AUTH PLAIN"));
            Assert.StartsWith("+OK logged in", await client.CommandAsync(plain), StringComparison.Ordinal);
            await client.CommandAsync("QUIT");
        }
        await using (var client = await Pop3Test.ConnectAsync(Port))
        {
            string self = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user.Address.ToUpperInvariant()}\0{user.Address}\0{Pop3Test.Password}"));
            Assert.StartsWith("+OK logged in", await client.CommandAsync("AUTH PLAIN " + self), StringComparison.Ordinal);
            await client.CommandAsync("QUIT");
        }
        await using (var client = await Pop3Test.ConnectAsync(Port))
        {
            Assert.Equal("+ VXNlcm5hbWU6", await client.CommandAsync("AUTH LOGIN"));
            Assert.Equal("+ UGFzc3dvcmQ6", await client.CommandAsync(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user.Address))));
            Assert.StartsWith("+OK logged in", await client.CommandAsync(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Pop3Test.Password))), StringComparison.Ordinal);
            await client.CommandAsync("QUIT");
        }
        await using (var client = await Pop3Test.ConnectAsync(Port))
        {
            Assert.Equal("+OK available mechanisms", await client.CommandAsync("AUTH"));
            Assert.Equal(["PLAIN", "LOGIN"], await client.ReadMultiLineAsync());
        }
    }

    async Task<Tern.Tests.Net.LineClient> LoginWhenUnlockedAsync(Tern.Accounts.UserAccount user)
    {
        // The server notices a vanished client asynchronously; give it a moment before the lock is free.
        for (int attempt = 0; ; attempt++)
        {
            var client = await Pop3Test.ConnectAsync(Port);
            await client.CommandAsync($"USER {user.Address}");
            var reply = await client.CommandAsync($"PASS {Pop3Test.Password}");
            if (reply.StartsWith("+OK", StringComparison.Ordinal))
                return client;
            await client.DisposeAsync();
            Assert.StartsWith("-ERR [IN-USE]", reply, StringComparison.Ordinal);
            Assert.True(attempt < 50, "the maildrop lock was never released");
            await Task.Delay(50);
        }
    }
}

namespace Tern.Tests.Imap;

/// <summary>Recorded dialogs after login: literals in APPEND, sections, ESEARCH/SEARCHRES, IMAP4rev2, UTF8=ACCEPT,
/// BINARY and bad input.</summary>
public sealed class ImapAuthenticatedDialogTests
{
    const string Message = "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Hi\r\nX-Extra: folded\r\n  line\r\n\r\nBody text\r\n";

    static async Task<(Tern.Tests.Fixtures.TernTestServer, ImapDialog)> LoginAsync(IDictionary<string, string?>? settings = null)
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync(settings);
        var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        return (server, c);
    }

    [Fact]
    public async Task APPEND_with_a_synchronising_literal_waits_for_the_continuation()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        await c.Client.SendLineAsync($"a1 APPEND INBOX (\\Seen) \" 1-Jul-2002 05:06:07 -0700\" {{{Message.Length}}}");
        Assert.StartsWith("+ ", await c.Client.ReadLineAsync());
        await c.Client.SendRawAsync(Message + "\r\n");
        var r = await c.ReadUntilTaggedAsync("a1");
        Assert.Matches(@"^OK \[APPENDUID \d+ 1\] APPEND completed$", r.Tagged);
        await c.CommandAsync("SELECT INBOX");
        var f = await c.CommandAsync("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)");
        Assert.Equal($"* 1 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE \" 1-Jul-2002 05:06:07 -0700\" RFC822.SIZE {Message.Length})", f.Untagged[0]);
    }

    [Fact]
    public async Task APPEND_with_a_non_synchronising_literal_needs_no_continuation()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        await c.Client.SendRawAsync($"a1 APPEND INBOX {{{Message.Length}+}}\r\n{Message}\r\n");
        var r = await c.ReadUntilTaggedAsync("a1");
        Assert.Empty(r.Untagged);
        Assert.StartsWith("OK [APPENDUID", r.Tagged);
        Assert.StartsWith("NO [TRYCREATE]", (await c.CommandAsync("APPEND Nowhere {3+}\r\nabc")).Tagged);
    }

    [Fact]
    public async Task APPEND_to_a_missing_or_Noselect_mailbox_is_refused_with_TRYCREATE_and_stores_nothing()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        Assert.StartsWith("OK", (await c.CommandAsync("CREATE Top/Child")).Tagged);
        Assert.StartsWith("OK", (await c.CommandAsync("DELETE Top")).Tagged); // has a child: stays as \Noselect
        Assert.StartsWith("NO [TRYCREATE]", (await c.CommandAsync($"APPEND Top {{{Message.Length}+}}\r\n{Message}")).Tagged);
        Assert.StartsWith("NO [TRYCREATE]", (await c.CommandAsync($"APPEND Nowhere (\\Seen) {{{Message.Length}+}}\r\n{Message}")).Tagged);
        // MULTIAPPEND (RFC 3502) is checked before anything is stored.
        Assert.StartsWith("NO [TRYCREATE]",
            (await c.CommandAsync($"APPEND Nowhere {{{Message.Length}+}}\r\n{Message} {{{Message.Length}+}}\r\n{Message}")).Tagged);
        Assert.StartsWith("OK [APPENDUID", (await c.CommandAsync($"APPEND Top/Child {{{Message.Length}+}}\r\n{Message}")).Tagged);
        Assert.Contains("MESSAGES 1", (await c.CommandAsync("STATUS Top/Child (MESSAGES)")).Untagged[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Large_APPEND_is_streamed_and_stored_intact()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        var body = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i:D6} of a long message\r\n"));
        var message = "Subject: big\r\n\r\n" + body;
        await c.Client.SendRawAsync($"a1 APPEND INBOX {{{message.Length}+}}\r\n{message}\r\n");
        Assert.StartsWith("OK", (await c.ReadUntilTaggedAsync("a1")).Tagged);
        await c.CommandAsync("EXAMINE INBOX");
        var f = await c.CommandAsync("FETCH 1 (RFC822.SIZE BODY.PEEK[TEXT]<1000000.20>)");
        Assert.Equal($"* 1 FETCH (RFC822.SIZE {message.Length} BODY[TEXT]<1000000> {{20}}", f.Untagged[0]);
        Assert.Equal(body.Substring(1_000_000, 20) + ")", f.Untagged[1]);
    }

    [Fact]
    public async Task Header_sections_MIME_and_TEXT_are_cut_exactly()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        await c.Client.SendRawAsync($"a1 APPEND INBOX {{{Message.Length}+}}\r\n{Message}\r\n");
        await c.ReadUntilTaggedAsync("a1");
        await c.CommandAsync("SELECT INBOX");
        var r = await c.CommandAsync("FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject X-EXTRA)] FLAGS)");
        Assert.Equal("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT X-EXTRA)] {40}", r.Untagged[0]);
        Assert.Equal(["Subject: Hi", "X-Extra: folded", "  line", "", " FLAGS (\\Recent))"], r.Untagged.Skip(1));
        r = await c.CommandAsync("FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (Subject X-Extra To)])");
        Assert.Equal(["From: Alice <alice@example.org>", "", ")"], r.Untagged.Skip(1));
        r = await c.CommandAsync("FETCH 1 BODY[1]");
        // The non-PEEK fetch set \Seen, so the new flags come along (RFC 9051 6.4.5).
        Assert.Equal("* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[1] {11}", r.Untagged[0]);
        r = await c.CommandAsync("FETCH 1 (BODY.PEEK[9] BODY.PEEK[]<0.4>)");
        Assert.Equal("* 1 FETCH (BODY[9] NIL BODY[]<0> {4}", r.Untagged[0]);
        Assert.Equal("From)", r.Untagged[1]);
        r = await c.CommandAsync("FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])");
        Assert.Equal("* 1 FETCH (BINARY[1] {11}", r.Untagged[0]);
        Assert.Equal("BINARY.SIZE[1] 11)", r.Untagged[^1].Trim());
    }

    [Fact]
    public async Task ESEARCH_SEARCHRES_and_IMAP4rev2_results()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        for (int i = 0; i < 5; i++)
        {
            await c.Client.SendRawAsync($"a{i} APPEND INBOX {(i % 2 == 0 ? "(\\Flagged) " : "")}{{{Message.Length}+}}\r\n{Message}\r\n");
            await c.ReadUntilTaggedAsync($"a{i}");
        }
        await c.CommandAsync("SELECT INBOX");
        var r = await c.CommandAsync("SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED");
        Assert.Equal("* ESEARCH (TAG \"t3\") MIN 1 MAX 5 ALL 1,3,5 COUNT 3", r.Untagged[0]);
        r = await c.CommandAsync("UID SEARCH RETURN (SAVE) UNFLAGGED");
        Assert.Empty(r.Untagged);
        r = await c.CommandAsync("FETCH $ (UID)");
        Assert.Equal(["* 2 FETCH (UID 2)", "* 4 FETCH (UID 4)"], r.Untagged);
        r = await c.CommandAsync("SEARCH $");
        Assert.Equal("* SEARCH 2 4", r.Untagged[0]);
        Assert.StartsWith("NO [BADCHARSET", (await c.CommandAsync("SEARCH CHARSET KOI8-R ALL")).Tagged);
        Assert.True((await c.CommandAsync("SEARCH CHARSET UTF-8 SUBJECT {2+}\r\nHi")).Ok);

        // IMAP4rev2: ENABLE only in the authenticated state, then SEARCH answers with ESEARCH and no RECENT.
        Assert.StartsWith("BAD", (await c.CommandAsync("ENABLE IMAP4rev2")).Tagged);
        Assert.True((await c.CommandAsync("UNSELECT")).Ok);
        Assert.Equal("* ENABLED IMAP4rev2", (await c.CommandAsync("ENABLE IMAP4rev2")).Untagged[0]);
        var select = await c.CommandAsync("SELECT INBOX");
        Assert.DoesNotContain(select.Untagged, l => l.EndsWith("RECENT", StringComparison.Ordinal));
        Assert.Contains("* LIST () \"/\" INBOX", select.Untagged);
        r = await c.CommandAsync("UID SEARCH FLAGGED");
        Assert.Equal("* ESEARCH (TAG \"t13\") UID ALL 1,3,5", r.Untagged[0]);
        r = await c.CommandAsync("FETCH 1 FLAGS");
        Assert.Equal("* 1 FETCH (FLAGS (\\Flagged))", r.Untagged[0]);
    }

    [Fact]
    public async Task UTF8_ACCEPT_switches_mailbox_names_to_UTF8()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        Assert.True((await c.CommandAsync("CREATE \"Entw&APw-rfe\"")).Ok);
        var list = await c.CommandAsync("LIST \"\" \"Entw*\"");
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe", list.Untagged[0]);
        Assert.Equal("* ENABLED UTF8=ACCEPT", (await c.CommandAsync("ENABLE UTF8=ACCEPT")).Untagged[0]);
        list = await c.CommandAsync("LIST \"\" \"Entw*\"");
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" \"Entwürfe\"", list.Untagged[0]);
        Assert.True((await c.CommandAsync("SELECT \"Entwürfe\"")).Ok);
    }

    [Fact]
    public async Task Bad_input_after_login_gets_BAD_or_NO_and_the_session_goes_on()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        Assert.StartsWith("NO [CANNOT]", (await c.CommandAsync("CREATE \"&Jjo\"")).Tagged);      // invalid modified UTF-7
        Assert.StartsWith("NO [CANNOT]", (await c.CommandAsync("SELECT \"&AGE-\"")).Tagged);
        Assert.StartsWith("NO", (await c.CommandAsync("SELECT \"../../etc\"")).Tagged);
        Assert.StartsWith("NO [NONEXISTENT]", (await c.CommandAsync("SELECT Missing")).Tagged);
        Assert.StartsWith("NO", (await c.CommandAsync("DELETE INBOX")).Tagged);
        Assert.StartsWith("NO [ALREADYEXISTS]", (await c.CommandAsync("CREATE Sent")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("FETCH 1 FLAGS")).Tagged);                 // not selected
        await c.CommandAsync("SELECT INBOX");
        Assert.StartsWith("BAD", (await c.CommandAsync("FETCH 1 FLAGS")).Tagged);                 // no message 1
        Assert.StartsWith("OK", (await c.CommandAsync("UID FETCH 1:* FLAGS")).Tagged);            // UIDs may be absent
        Assert.StartsWith("BAD", (await c.CommandAsync("SEARCH " + new string('(', 100) + "ALL" + new string(')', 100))).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("UID FETCH " + string.Join(',', Enumerable.Range(1, 150_000).Select(i => i * 2)) + " FLAGS")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("STORE 1 +FLAGS (\\Bogus)")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("FETCH 1 (BODY[1.HEADER.FIELDS ()])")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("LIST \"\" \"*\" RETURN (FOO)")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("STATUS INBOX (MESSAGES BOGUS)")).Tagged);
        Assert.True((await c.CommandAsync("NOOP")).Ok);
    }

    [Fact]
    public async Task Mailbox_commands_list_lsub_status_namespace_and_special_use()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        Assert.Equal("* NAMESPACE ((\"\" \"/\")) NIL NIL", (await c.CommandAsync("NAMESPACE")).Untagged[0]);
        Assert.Equal("* LIST (\\Noselect) \"/\" \"\"", (await c.CommandAsync("LIST \"\" \"\"")).Untagged[0]);
        Assert.True((await c.CommandAsync("CREATE a/b/")).Ok);
        var list = await c.CommandAsync("LIST \"\" %");
        Assert.Contains("* LIST (\\HasChildren) \"/\" a", list.Untagged);
        Assert.DoesNotContain(list.Untagged, l => l.EndsWith(" a/b", StringComparison.Ordinal));
        Assert.Contains("* LIST (\\HasNoChildren \\Sent) \"/\" Sent", list.Untagged);
        list = await c.CommandAsync("LIST (SPECIAL-USE) \"\" *");
        Assert.All(list.Untagged, l => Assert.Matches(@"\\(Sent|Drafts|Trash|Junk|Archive|All|Flagged)", l));
        list = await c.CommandAsync("LIST \"\" (a/* INBOX) RETURN (STATUS (MESSAGES UIDNEXT SIZE))");
        Assert.Contains("* LIST (\\HasNoChildren) \"/\" a/b", list.Untagged);
        Assert.Contains("* STATUS a/b (MESSAGES 0 UIDNEXT 1 SIZE 0)", list.Untagged);
        Assert.Contains("* STATUS INBOX (MESSAGES 0 UIDNEXT 1 SIZE 0)", list.Untagged);
        Assert.True((await c.CommandAsync("SUBSCRIBE a/b")).Ok);
        var lsub = await c.CommandAsync("LSUB \"\" a/*");
        Assert.Equal(["* LSUB () \"/\" a/b"], lsub.Untagged);
        list = await c.CommandAsync("LIST (SUBSCRIBED) \"\" a*");
        Assert.Equal(["* LIST (\\HasNoChildren \\Subscribed) \"/\" a/b"], list.Untagged);
        Assert.True((await c.CommandAsync("RENAME a/b a/c")).Ok);
        Assert.Equal("* STATUS a/c (MESSAGES 0 UNSEEN 0 RECENT 0)", (await c.CommandAsync("STATUS a/c (MESSAGES UNSEEN RECENT)")).Untagged[0]);
        Assert.True((await c.CommandAsync("DELETE a/c")).Ok);
        Assert.StartsWith("NO [NONEXISTENT]", (await c.CommandAsync("STATUS a/c (MESSAGES)")).Tagged);
        Assert.StartsWith("* ID (", (await c.CommandAsync("ID (\"name\" \"test\")")).Untagged[0]);
        var close = await c.CommandAsync("CLOSE");
        Assert.StartsWith("BAD", close.Tagged);
    }

    [Fact]
    public async Task MOVE_sends_COPYUID_then_EXPUNGE_EXAMINE_is_read_only_and_CLOSE_expunges_silently()
    {
        var (server, c) = await LoginAsync();
        await using var _ = server;
        await using var __ = c;
        for (int i = 0; i < 3; i++)
        {
            await c.Client.SendRawAsync($"a{i} APPEND INBOX {{{Message.Length}+}}\r\n{Message}\r\n");
            await c.ReadUntilTaggedAsync($"a{i}");
        }
        await c.CommandAsync("SELECT INBOX");
        var move = await c.CommandAsync("MOVE 2 Archive");
        Assert.Matches(@"^\* OK \[COPYUID \d+ 2 1\] Moved$", move.Untagged[0]);
        Assert.Equal("* 2 EXPUNGE", move.Untagged[1]);
        Assert.Equal("OK MOVE completed", move.Tagged);
        Assert.StartsWith("NO [TRYCREATE]", (await c.CommandAsync("COPY 1 Nowhere")).Tagged);
        Assert.True((await c.CommandAsync("STORE 1 +FLAGS.SILENT (\\Deleted)")).Ok);
        var close = await c.CommandAsync("CLOSE");
        Assert.Empty(close.Untagged);
        Assert.True(close.Ok);
        var examine = await c.CommandAsync("EXAMINE INBOX");
        Assert.Contains("* 1 EXISTS", examine.Untagged);
        Assert.Equal("OK [READ-ONLY] EXAMINE completed", examine.Tagged);
        Assert.StartsWith("NO [READ-ONLY]", (await c.CommandAsync("STORE 1 +FLAGS (\\Seen)")).Tagged);
        var peek = await c.CommandAsync("FETCH 1 (BODY[] FLAGS)");
        Assert.DoesNotContain("\\Seen", peek.Untagged[^1]); // no \Seen in a read-only mailbox
        var reselect = await c.CommandAsync("SELECT Archive");
        Assert.Equal("* OK [CLOSED] Previous mailbox closed", reselect.Untagged[0]);
        Assert.Contains("* 1 EXISTS", reselect.Untagged);
    }
}

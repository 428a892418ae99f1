#nullable disable
using MailKit;
using MailKit.Search;
using MimeKit;

namespace Tern.Tests.Imap;

/// <summary>RFC 8474 OBJECTID, RFC 8514 SAVEDATE, RFC 5032 WITHIN and RFC 3502 MULTIAPPEND end to end.</summary>
public sealed class ObjectIdTests
{
    static MimeMessage Reply(MimeMessage parent, string subject, params MimeMessage[] ancestors)
    {
        var m = ImapTestMail.Simple(subject);
        m.InReplyTo = parent.MessageId;
        foreach (var a in ancestors)
            m.References.Add(a.MessageId);
        m.References.Add(parent.MessageId);
        return m;
    }

    [Fact]
    public async Task EMAILID_THREADID_and_MAILBOXID_through_MailKit()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var c = await ImapTestMail.ConnectAsync(server, user);
        Assert.True(c.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.ObjectID));
        var root = ImapTestMail.Simple("root");
        var child = Reply(root, "child");
        var grandchild = Reply(child, "grandchild", root);
        var other = ImapTestMail.Simple("other");
        foreach (var m in new[] { root, child, grandchild, other })
            await c.Inbox.AppendAsync(m);
        await c.Inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.False(string.IsNullOrEmpty(c.Inbox.Id)); // MAILBOXID from SELECT

        var all = await c.Inbox.FetchAsync(0, -1, MessageSummaryItems.EmailId | MessageSummaryItems.ThreadId | MessageSummaryItems.UniqueId);
        Assert.Equal(4, all.Select(m => m.EmailId).Distinct().Count());
        Assert.Equal(all[0].ThreadId, all[1].ThreadId);
        Assert.Equal(all[0].ThreadId, all[2].ThreadId);
        Assert.NotEqual(all[0].ThreadId, all[3].ThreadId);

        // A copy keeps EMAILID and THREADID (RFC 8474 5.1, 5.2); the archive has its own MAILBOXID.
        var archive = await c.GetFolderAsync("Archive");
        await c.Inbox.CopyToAsync(all[1].UniqueId, archive);
        await archive.OpenAsync(FolderAccess.ReadOnly);
        Assert.NotEqual(c.Inbox.Id, archive.Id);
        var copy = (await archive.FetchAsync(0, -1, MessageSummaryItems.EmailId | MessageSummaryItems.ThreadId)).Single();
        Assert.Equal(all[1].EmailId, copy.EmailId);
        Assert.Equal(all[1].ThreadId, copy.ThreadId);

        await c.Inbox.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(4, (await c.Inbox.SearchAsync(SearchQuery.YoungerThan(3600))).Count);
        Assert.Equal(4, (await c.Inbox.SearchAsync(SearchQuery.SavedSince(DateTime.UtcNow.Date.AddDays(-1)))).Count);
    }

    [Fact]
    public async Task Raw_dialog_for_MAILBOXID_SAVEDATE_WITHIN_and_bad_object_ids()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        var create = await c.CommandAsync("CREATE Projects");
        Assert.Matches(@"^OK \[MAILBOXID \(F[0-9a-f]+-[0-9a-f]+\)\] CREATE completed$", create.Tagged);
        var id = create.Tagged[(create.Tagged.IndexOf('(') + 1)..create.Tagged.IndexOf(')')];
        Assert.True((await c.CommandAsync("RENAME Projects Work")).Ok);
        Assert.Equal($"* STATUS Work (MAILBOXID ({id}))", (await c.CommandAsync("STATUS Work (MAILBOXID)")).Untagged.Single());
        Assert.Contains($"* OK [MAILBOXID ({id})] Ok", (await c.CommandAsync("SELECT Work")).Untagged);

        await c.Client.SendLineAsync("a1 APPEND Work (\\Seen) \"01-Jan-2020 10:00:00 +0000\" {22+}");
        await c.Client.SendRawAsync("Subject: old\r\n\r\nbody\r\n\r\n");
        Assert.StartsWith("OK [APPENDUID", (await c.ReadUntilTaggedAsync("a1")).Tagged);
        await c.Client.SendLineAsync("a2 APPEND Work {22+}");
        await c.Client.SendRawAsync("Subject: new\r\n\r\nbody\r\n\r\n");
        Assert.StartsWith("OK [APPENDUID", (await c.ReadUntilTaggedAsync("a2")).Tagged);
        await c.CommandAsync("NOOP");

        var today = DateTime.UtcNow.ToString("d-MMM-yyyy", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("* SEARCH 1 2", (await c.CommandAsync($"SEARCH SAVEDON {today}")).Untagged.Single());
        Assert.Equal("* SEARCH 1 2", (await c.CommandAsync("SEARCH SAVEDATESUPPORTED")).Untagged.Single());
        Assert.Equal("* SEARCH", (await c.CommandAsync($"SEARCH SAVEDBEFORE {today}")).Untagged.Single());
        Assert.Equal("* SEARCH 1", (await c.CommandAsync("SEARCH OLDER 86400")).Untagged.Single());
        Assert.Equal("* SEARCH 2", (await c.CommandAsync("SEARCH YOUNGER 3600")).Untagged.Single());
        var fetch = await c.CommandAsync("FETCH 1 (SAVEDATE EMAILID THREADID)");
        Assert.Matches(@"^\* 1 FETCH \(SAVEDATE ""[^""]+"" EMAILID \(M[0-9a-f]+\) THREADID \(T[0-9A-Za-z_-]+\)\)$", fetch.Untagged.Single());

        var ids = System.Text.RegularExpressions.Regex.Match(fetch.Untagged.Single(), @"EMAILID \(([^)]+)\) THREADID \(([^)]+)\)");
        Assert.Equal("* SEARCH 1", (await c.CommandAsync($"SEARCH EMAILID {ids.Groups[1].Value}")).Untagged.Single());
        Assert.Equal("* SEARCH 1", (await c.CommandAsync($"SEARCH THREADID {ids.Groups[2].Value}")).Untagged.Single());
        Assert.Equal("* SEARCH", (await c.CommandAsync("SEARCH EMAILID Mffffff")).Untagged.Single());
        Assert.StartsWith("BAD Invalid object id", (await c.CommandAsync("SEARCH EMAILID a.b")).Tagged);
        Assert.StartsWith("BAD Invalid object id", (await c.CommandAsync("SEARCH THREADID \"\"")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("SEARCH OLDER 0")).Tagged);
    }

    [Fact]
    public async Task MULTIAPPEND_stores_all_messages_with_one_APPENDUID_or_none()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using (var m = await ImapTestMail.ConnectAsync(server, user))
        {
            Assert.True(m.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.MultiAppend));
            var requests = Enumerable.Range(0, 3).Select(i => (IAppendRequest)new AppendRequest(ImapTestMail.Simple("multi " + i), MessageFlags.Seen)).ToList();
            var uids = await m.Inbox.AppendAsync(requests);
            Assert.Equal(3, uids.Count);
        }
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        await c.Client.SendLineAsync("a1 APPEND INBOX {17+}");
        await c.Client.SendRawAsync("Subject: x\r\n\r\nx\r\n (\\Flagged) {17+}\r\n");
        await c.Client.SendRawAsync("Subject: y\r\n\r\ny\r\n\r\n");
        Assert.Matches(@"^OK \[APPENDUID \d+ 4:5\] APPEND completed$", (await c.ReadUntilTaggedAsync("a1")).Tagged);

        // The second message has no header: stored as a header-less text message, as Dovecot does.
        await c.Client.SendLineAsync("a0 APPEND INBOX {17+}");
        await c.Client.SendRawAsync("Subject: w\r\n\r\nw\r\n {3+}\r\nx\r\n\r\n");
        Assert.Matches(@"^OK \[APPENDUID \d+ 6:7\] APPEND completed$", (await c.ReadUntilTaggedAsync("a0")).Tagged);
        // The second message is empty: nothing of the command is stored.
        await c.Client.SendLineAsync("a2 APPEND INBOX {17+}");
        await c.Client.SendRawAsync("Subject: z\r\n\r\nz\r\n {0+}\r\n\r\n");
        Assert.Equal("NO [CANNOT] Empty message", (await c.ReadUntilTaggedAsync("a2")).Tagged);
        // A malformed third message: BAD, nothing stored.
        await c.Client.SendLineAsync("a3 APPEND INBOX {17+}");
        await c.Client.SendRawAsync("Subject: z\r\n\r\nz\r\n (\\Bogus\r\n");
        Assert.StartsWith("BAD", (await c.ReadUntilTaggedAsync("a3")).Tagged);
        Assert.Contains("MESSAGES 7", (await c.CommandAsync("STATUS INBOX (MESSAGES)")).Untagged.Single());
    }

    [Fact]
    public async Task MULTIAPPEND_over_quota_stores_nothing()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        await server.Accounts.SetQuotaAsync(user, 1000);
        var body = new string('a', 400);
        var msg = $"Subject: q\r\n\r\n{body}\r\n";
        await c.Client.SendLineAsync($"a1 APPEND INBOX {{{msg.Length}+}}");
        await c.Client.SendRawAsync($"{msg} {{{msg.Length}+}}\r\n{msg} {{{msg.Length}+}}\r\n{msg}\r\n");
        Assert.StartsWith("NO [OVERQUOTA]", (await c.ReadUntilTaggedAsync("a1")).Tagged);
        Assert.Contains("MESSAGES 0", (await c.CommandAsync("STATUS INBOX (MESSAGES)")).Untagged.Single());
    }

    [Fact]
    public async Task CATENATE_builds_a_message_from_a_URL_section_and_text_and_refuses_bad_URLs()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        var original = ImapTestMail.Simple("Original subject", "original body");
        using (var m = await ImapTestMail.ConnectAsync(server, user))
            await m.Inbox.AppendAsync(original);
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        Assert.Contains("CATENATE", (await c.CommandAsync("CAPABILITY")).All);
        var select = await c.CommandAsync("SELECT INBOX");
        var uidValidity = System.Text.RegularExpressions.Regex.Match(select.All, @"UIDVALIDITY (\d+)").Groups[1].Value;

        const string text = "New body line\r\n";
        await c.Client.SendLineAsync($"a1 APPEND Drafts (\\Draft) CATENATE (URL \"/INBOX;UIDVALIDITY={uidValidity}/;UID=1/;SECTION=HEADER\" TEXT {{{text.Length}+}}");
        await c.Client.SendRawAsync(text + ")\r\n");
        Assert.StartsWith("OK [APPENDUID", (await c.ReadUntilTaggedAsync("a1")).Tagged);
        // The same with an absolute URL naming this user, a partial range and a second message (MULTIAPPEND).
        await c.Client.SendRawAsync($"a2 APPEND Drafts CATENATE (URL \"imap://{Uri.EscapeDataString(user)}@localhost/INBOX/;UID=1/;SECTION=HEADER\" URL \"/INBOX/;UID=1/;SECTION=TEXT/;PARTIAL=0.8\") CATENATE (TEXT {{17+}}\r\nSubject: x\r\n\r\nx\r\n)\r\n");
        Assert.Matches(@"^OK \[APPENDUID \d+ 2:3\]", (await c.ReadUntilTaggedAsync("a2")).Tagged);

        var header = System.Text.Encoding.ASCII.GetString(ImapTestMail.Bytes(original));
        header = header[..(header.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)];
        await c.CommandAsync("SELECT Drafts");
        using (var m = await ImapTestMail.ConnectAsync(server, user))
        {
            var drafts = await m.GetFolderAsync("Drafts");
            await drafts.OpenAsync(FolderAccess.ReadOnly);
            var built = await drafts.GetMessageAsync(0);
            Assert.Equal("Original subject", built.Subject);
            Assert.Equal("New body line", built.TextBody.TrimEnd());
            Assert.Equal("original", (await drafts.GetMessageAsync(1)).TextBody);
            Assert.Equal(header.Length + text.Length, (int)(await drafts.FetchAsync([0], MessageSummaryItems.Size))[0].Size!.Value);
        }

        Assert.Equal($"NO [BADURL imap://someone@localhost/INBOX/;UID=1] Invalid or inaccessible URL",
            (await c.CommandAsync("APPEND Drafts CATENATE (URL \"imap://someone@localhost/INBOX/;UID=1\")")).Tagged);
        Assert.Equal("NO [BADURL /INBOX/;UID=99] Invalid or inaccessible URL",
            (await c.CommandAsync("APPEND Drafts CATENATE (URL \"/INBOX/;UID=99\")")).Tagged);
        Assert.Equal("NO [BADURL /INBOX;UIDVALIDITY=1/;UID=1] Invalid or inaccessible URL",
            (await c.CommandAsync("APPEND Drafts CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=1\")")).Tagged);
        Assert.Equal("NO [BADURL /INBOX/;UID=1/;SECTION=9] Invalid or inaccessible URL",
            (await c.CommandAsync("APPEND Drafts CATENATE (URL \"/INBOX/;UID=1/;SECTION=9\")")).Tagged);
        Assert.StartsWith("BAD Unknown CATENATE part", (await c.CommandAsync("APPEND Drafts CATENATE (FOO bar)")).Tagged);
        Assert.Contains("MESSAGES 3", (await c.CommandAsync("STATUS Drafts (MESSAGES)")).Untagged.Single());
    }
}

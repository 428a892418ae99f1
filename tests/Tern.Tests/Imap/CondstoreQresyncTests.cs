#nullable disable
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;

namespace Tern.Tests.Imap;

/// <summary>RFC 7162 CONDSTORE and QRESYNC end to end: MailKit, raw dialogs for the exact responses, Python's imaplib.</summary>
public sealed class CondstoreQresyncTests
{
    static async Task<List<UniqueId>> AppendAsync(ImapClient client, int count)
    {
        var uids = new List<UniqueId>();
        for (int i = 0; i < count; i++)
            uids.Add((await client.Inbox.AppendAsync(ImapTestMail.Simple("m" + i), MessageFlags.None)).Value);
        return uids;
    }

    [Fact]
    public async Task QRESYNC_reconnect_gets_exactly_the_flag_changes_and_the_vanished_uids()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        uint uidValidity;
        ulong highest;
        IList<UniqueId> known;
        using (var a = await ImapTestMail.ConnectAsync(server, user))
        {
            Assert.True(a.Capabilities.HasFlag(ImapCapabilities.QuickResync));
            await a.EnableQuickResyncAsync();
            await AppendAsync(a, 6);
            await a.Inbox.OpenAsync(FolderAccess.ReadWrite);
            Assert.NotEqual(0UL, a.Inbox.HighestModSeq);
            uidValidity = a.Inbox.UidValidity;
            highest = a.Inbox.HighestModSeq;
            known = await a.Inbox.SearchAsync(SearchQuery.All);
            await a.DisconnectAsync(true);
        }

        using (var b = await ImapTestMail.ConnectAsync(server, user))
        {
            await b.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await b.Inbox.AddFlagsAsync(known[1], MessageFlags.Flagged, true);
            await b.Inbox.AddFlagsAsync([known[2], known[4]], MessageFlags.Deleted, true);
            await b.Inbox.ExpungeAsync();
            await b.DisconnectAsync(true);
        }

        using var c = await ImapTestMail.ConnectAsync(server, user);
        await c.EnableQuickResyncAsync();
        var vanished = new List<MessagesVanishedEventArgs>();
        var flagChanges = new List<MessageFlagsChangedEventArgs>();
        c.Inbox.MessagesVanished += (_, e) => vanished.Add(e);
        c.Inbox.MessageFlagsChanged += (_, e) => flagChanges.Add(e);
        await c.Inbox.OpenAsync(FolderAccess.ReadWrite, uidValidity, highest, known);

        var v = Assert.Single(vanished);
        Assert.True(v.Earlier);
        Assert.Equal([known[2], known[4]], v.UniqueIds.OrderBy(u => u.Id));
        var f = Assert.Single(flagChanges);
        Assert.Equal(known[1], f.UniqueId);
        Assert.True(f.Flags.HasFlag(MessageFlags.Flagged));
        Assert.True(f.ModSeq > highest);
        Assert.Equal(4, c.Inbox.Count);
        Assert.True(c.Inbox.HighestModSeq > highest);
    }

    [Fact]
    public async Task QRESYNC_with_another_UIDVALIDITY_is_a_plain_select()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var c = await ImapTestMail.ConnectAsync(server, user);
        await AppendAsync(c, 3);
        await c.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var all = await c.Inbox.SearchAsync(SearchQuery.All);
        await c.Inbox.AddFlagsAsync(all[0], MessageFlags.Deleted, true);
        await c.Inbox.ExpungeAsync();
        await c.Inbox.CloseAsync();
        await c.EnableQuickResyncAsync();
        var vanished = new List<MessagesVanishedEventArgs>();
        c.Inbox.MessagesVanished += (_, e) => vanished.Add(e);
        await c.Inbox.OpenAsync(FolderAccess.ReadWrite, c.Inbox.UidValidity + 1, 1, all);
        Assert.Empty(vanished);
        Assert.Equal(2, c.Inbox.Count);
    }

    [Fact]
    public async Task Selected_QRESYNC_session_gets_VANISHED_for_expunges_by_others_and_for_its_own_UID_EXPUNGE_and_MOVE()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var b = await ImapTestMail.ConnectAsync(server, user);
        var uids = await AppendAsync(b, 5);
        using var a = await ImapTestMail.ConnectAsync(server, user);
        await a.EnableQuickResyncAsync();
        var vanished = new List<MessagesVanishedEventArgs>();
        a.Inbox.MessagesVanished += (_, e) => vanished.Add(e);
        await a.Inbox.OpenAsync(FolderAccess.ReadWrite);

        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await b.Inbox.AddFlagsAsync(uids[0], MessageFlags.Deleted, true);
        await b.Inbox.ExpungeAsync();
        await a.NoOpAsync();
        Assert.Equal([uids[0]], Assert.Single(vanished).UniqueIds);
        Assert.False(vanished[0].Earlier);

        await a.Inbox.AddFlagsAsync([uids[1], uids[2]], MessageFlags.Deleted, true);
        await a.Inbox.ExpungeAsync([uids[1]]); // UID EXPUNGE
        Assert.Equal([uids[1]], vanished[1].UniqueIds);
        var junk = await a.GetFolderAsync("Junk");
        await a.Inbox.MoveToAsync(uids[3], junk);
        Assert.Equal([uids[3]], vanished[2].UniqueIds);
        Assert.Equal(2, a.Inbox.Count);
    }

    [Fact]
    public async Task CONDSTORE_fetch_changedsince_and_store_unchangedsince_through_MailKit()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var c = await ImapTestMail.ConnectAsync(server, user);
        Assert.True(c.Capabilities.HasFlag(ImapCapabilities.CondStore));
        var uids = await AppendAsync(c, 4);
        await c.Inbox.OpenAsync(FolderAccess.ReadWrite);
        ulong start = c.Inbox.HighestModSeq;
        await c.Inbox.AddFlagsAsync(uids[2], MessageFlags.Seen, true);

        var changed = await c.Inbox.FetchAsync(UniqueIdRange.All, start, MessageSummaryItems.Flags | MessageSummaryItems.ModSeq | MessageSummaryItems.UniqueId);
        var s = Assert.Single(changed);
        Assert.Equal(uids[2], s.UniqueId);
        Assert.True(s.ModSeq > start);

        // Stale MODSEQ: message 3 changed since "start", so it is refused and listed; message 1 is stored.
        var refused = await c.Inbox.StoreAsync([uids[0], uids[2]], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { UnchangedSince = start });
        Assert.Equal([uids[2]], refused);
        var flags = await c.Inbox.FetchAsync([uids[0], uids[2]], MessageSummaryItems.Flags | MessageSummaryItems.UniqueId);
        Assert.True(flags.Single(m => m.UniqueId == uids[0]).Flags!.Value.HasFlag(MessageFlags.Flagged));
        Assert.False(flags.Single(m => m.UniqueId == uids[2]).Flags!.Value.HasFlag(MessageFlags.Flagged));

        var bySeq = await c.Inbox.SearchAsync(SearchQuery.ChangedSince(start + 1));
        Assert.Equal([uids[0], uids[2]], bySeq.OrderBy(u => u.Id));
    }

    [Fact]
    public async Task Raw_dialog_shows_HIGHESTMODSEQ_MODSEQ_MODIFIED_VANISHED_EARLIER_and_SEARCH_MODSEQ()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using (var m = await ImapTestMail.ConnectAsync(server, user))
            await AppendAsync(m, 4);
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        Assert.Contains("CONDSTORE", (await c.CommandAsync("CAPABILITY")).All);
        var status = await c.CommandAsync("STATUS INBOX (HIGHESTMODSEQ MESSAGES)");
        var hms = long.Parse(System.Text.RegularExpressions.Regex.Match(status.All, @"HIGHESTMODSEQ (\d+)").Groups[1].Value);
        Assert.Contains($"* STATUS INBOX (HIGHESTMODSEQ {hms} MESSAGES 4)", status.Untagged);
        Assert.Equal(["* ENABLED QRESYNC"], (await c.CommandAsync("ENABLE QRESYNC")).Untagged);

        var select = await c.CommandAsync("SELECT INBOX (CONDSTORE)");
        Assert.Contains($"* OK [HIGHESTMODSEQ {hms}] Highest", select.Untagged);
        var uidValidity = System.Text.RegularExpressions.Regex.Match(select.All, @"UIDVALIDITY (\d+)").Groups[1].Value;

        var store = await c.CommandAsync($"UID STORE 1,3 (UNCHANGEDSINCE {hms}) +FLAGS.SILENT (\\Flagged)");
        Assert.Equal("OK UID STORE completed", store.Tagged);
        Assert.Contains(store.Untagged, l => l.StartsWith($"* 1 FETCH (UID 1 MODSEQ (", StringComparison.Ordinal));
        var stale = await c.CommandAsync($"STORE 1:2 (UNCHANGEDSINCE {hms}) -FLAGS (\\Flagged)");
        Assert.Equal("OK [MODIFIED 1] Conditional STORE failed", stale.Tagged);
        Assert.Matches(@"^\* 2 FETCH \(FLAGS \((\\Recent)?\) UID 2 MODSEQ \(\d+\)\)$", stale.Untagged.Single());

        var search = await c.CommandAsync($"SEARCH MODSEQ \"/flags/\\\\flagged\" all {hms + 1}");
        Assert.Matches(@"^\* SEARCH 1 3 \(MODSEQ \d+\)$", search.Untagged.Single());
        var esearch = await c.CommandAsync($"UID SEARCH RETURN (COUNT) MODSEQ {hms + 1}");
        Assert.Matches($"^\\* ESEARCH \\(TAG \"t\\d+\"\\) UID COUNT 2 MODSEQ \\d+$", esearch.Untagged.Single());

        Assert.True((await c.CommandAsync("UID EXPUNGE 1")).Ok); // nothing deleted yet
        Assert.True((await c.CommandAsync("UID STORE 4 +FLAGS.SILENT (\\Deleted)")).Ok);
        var expunge = await c.CommandAsync("EXPUNGE");
        Assert.Equal(["* VANISHED 4"], expunge.Untagged);

        var fetch = await c.CommandAsync($"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {hms} VANISHED)");
        Assert.Equal("* VANISHED (EARLIER) 4", fetch.Untagged[0]);
        Assert.Equal(3, fetch.Untagged.Count);
        Assert.Contains(fetch.Untagged, l => l.StartsWith("* 1 FETCH (UID 1 FLAGS (\\Flagged", StringComparison.Ordinal));

        var reselect = await c.CommandAsync($"EXAMINE INBOX (QRESYNC ({uidValidity} {hms} 1:4))");
        Assert.Equal("* OK [CLOSED] Previous mailbox closed", reselect.Untagged[0]);
        int vanishedAt = reselect.Untagged.IndexOf("* VANISHED (EARLIER) 4");
        Assert.True(vanishedAt > 0, reselect.All);
        Assert.Equal(2, reselect.Untagged.Count(l => l.Contains(" FETCH (", StringComparison.Ordinal)));
        Assert.True(reselect.Untagged.FindIndex(l => l.Contains(" FETCH (", StringComparison.Ordinal)) > vanishedAt);
    }

    [Theory]
    [InlineData("SELECT INBOX (QRESYNC (1 0))", "BAD Invalid mod-sequence value: must be greater than 0")]
    [InlineData("SELECT INBOX (QRESYNC (1 5 1:*))", "BAD Malformed known-uids: \"*\" is not allowed")]
    [InlineData("SELECT INBOX (QRESYNC (1 5 1:3 (1:2 1:3)))", "BAD Malformed seq-match-data: known-sequence-set and known-uid-set differ in size")]
    [InlineData("SELECT INBOX (QRESYNC (1 5 1:3 (1:2)))", "BAD Malformed seq-match-data: expected known-sequence-set SP known-uid-set")]
    [InlineData("SELECT INBOX (QRESYNC (1 5 x))", "BAD Malformed known-uids: Invalid sequence set")]
    [InlineData("SELECT INBOX (QRESYNC (0 5))", "BAD QRESYNC needs a UIDVALIDITY (nz-number) (Zero is not allowed here)")]
    [InlineData("SELECT INBOX (FOO)", "BAD Unknown SELECT parameter FOO")]
    [InlineData("SELECT INBOX (QRESYNC (1 99999999999999999999))", "BAD Invalid mod-sequence value (Number too large)")]
    public async Task Malformed_QRESYNC_data_is_BAD_with_a_clear_text(string command, string expected)
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        Assert.Equal("BAD QRESYNC parameter needs ENABLE QRESYNC first", (await c.CommandAsync("SELECT INBOX (QRESYNC (1 5))")).Tagged);
        await c.CommandAsync("ENABLE QRESYNC");
        Assert.Equal(expected, (await c.CommandAsync(command)).Tagged);
        // The session goes on, and a stale (future) MODSEQ is simply nothing to report.
        var ok = await c.CommandAsync("SELECT INBOX (QRESYNC (1 999999999 1:5 (1:2 1:2)))");
        Assert.True(ok.Ok, ok.Tagged);
        Assert.Equal("BAD VANISHED is allowed only with UID FETCH", (await c.CommandAsync("FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")).Tagged);
        Assert.Equal("BAD VANISHED requires CHANGEDSINCE", (await c.CommandAsync("UID FETCH 1:* (FLAGS) (VANISHED)")).Tagged);
        Assert.StartsWith("BAD Invalid MODSEQ entry type", (await c.CommandAsync("SEARCH MODSEQ \"/flags/\\\\seen\" nobody 1")).Tagged);
    }

    const string Script = """
import imaplib, sys, re
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.login(user, password)
typ, data = m.capability(); assert b'CONDSTORE' in data[0] and b'QRESYNC' in data[0], data
for i in range(3):
    typ, data = m.append('INBOX', None, None, b'From: py@example.org\r\nSubject: n%d\r\n\r\nbody\r\n' % i); assert typ == 'OK', data
typ, data = m.status('INBOX', '(HIGHESTMODSEQ)'); assert typ == 'OK', data
hms = int(re.search(rb'HIGHESTMODSEQ (\d+)', data[0]).group(1))
typ, data = m.enable('CONDSTORE'); assert typ == 'OK', data
typ, data = m.select('INBOX'); assert typ == 'OK', data
typ, data = m.uid('STORE', '2', '+FLAGS', '(\\Seen)'); assert typ == 'OK' and b'MODSEQ' in data[0], data
typ, data = m.uid('FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d)' % hms); assert typ == 'OK', data
assert len(data) == 1 and b'UID 2' in data[0] and b'MODSEQ' in data[0], data
typ, data = m.uid('SEARCH', 'MODSEQ', str(hms + 1)); assert typ == 'OK' and re.match(rb'^2 \(MODSEQ \d+\)$', data[0]), data
m.logout()
print('PYTHON-OK')
""";

    [Fact]
    public async Task Python_imaplib_uses_CONDSTORE_fetch_store_and_search()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await ImapTestMail.RunPythonScriptAsync(server, user, Script);
    }
}

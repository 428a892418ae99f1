#nullable disable
using MailKit;
using MailKit.Search;
using MessageFlags = MailKit.MessageFlags;

namespace Tern.Tests.Imap;

/// <summary>Header items served from the store's header cache, BODY[] without the structure, and SEARCH of system
/// flags answered by the index, checked against what MailKit parses and what other sessions change.</summary>
public sealed class HeaderFetchAndFlagSearchTests
{
    [Fact]
    public async Task Header_items_match_the_stored_message_through_copies_and_expunges()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var b = await ImapTestMail.ConnectAsync(server, user);
        var one = ImapTestMail.Simple("one");
        var u1 = (await b.Inbox.AppendAsync(one, MessageFlags.None)).Value;
        var u2 = (await b.Inbox.AppendAsync(ImapTestMail.Simple("two"), MessageFlags.None)).Value;
        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);

        // Twice: the first fills the cache, the second is answered from it; MailKit parses what it gets.
        for (int round = 0; round < 2; round++)
        {
            var headers = await b.Inbox.GetHeadersAsync(u1);
            Assert.Equal("one", headers["Subject"]);
            Assert.Equal(one.MessageId, headers["Message-ID"].Trim('<', '>'));
            var fields = await b.Inbox.FetchAsync([u1, u2], new FetchRequest { Headers = new HeaderSet([MimeKit.HeaderId.Subject, MimeKit.HeaderId.From]) });
            Assert.Equal(["one", "two"], fields.OrderBy(f => f.UniqueId.Id).Select(f => f.Headers["Subject"]));
            Assert.All(fields, f => Assert.Null(f.Headers["Message-ID"]));
            var whole = await b.Inbox.GetMessageAsync(u1);
            Assert.Equal("one", whole.Subject);
            Assert.Contains("Hello there.", whole.TextBody, StringComparison.Ordinal);
        }

        await using var a = await ImapDialog.ConnectAsync(server.ImapPort);
        await a.LoginAsync(user);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);
        var partial = await a.CommandAsync($"UID FETCH {u1.Id} (BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM TO DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)]<0.1> RFC822.HEADER)");
        Assert.True(partial.Ok, partial.Tagged);
        Assert.Contains(partial.Untagged, l => l.Contains("BODY[HEADER.FIELDS.NOT (SUBJECT FROM TO DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)]<0> {1}", StringComparison.Ordinal));
        Assert.Contains(partial.Untagged, l => l.StartsWith("Subject: one", StringComparison.Ordinal));

        // A copy shares the file and so its header; an expunge by another session is reported, not half written.
        await b.Inbox.CopyToAsync(u1, await b.GetFolderAsync("Archive"));
        var archive = await b.GetFolderAsync("Archive");
        await archive.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal("one", (await archive.GetHeadersAsync(0))["Subject"]);
        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await b.Inbox.AddFlagsAsync(u2, MessageFlags.Deleted, true);
        await b.Inbox.ExpungeAsync();
        var gone = await a.CommandAsync($"UID FETCH {u2.Id} (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
        Assert.DoesNotContain(gone.Untagged, l => l.Contains("Subject: two", StringComparison.Ordinal));
        var after = await a.CommandAsync("NOOP");
        Assert.Contains("* 2 EXPUNGE", gone.Untagged.Concat(after.Untagged)); // UID FETCH may announce it (RFC 9051 7.5.1)
    }

    [Fact]
    public async Task Search_of_system_flags_sees_other_sessions_changes_and_only_this_sessions_messages()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var b = await ImapTestMail.ConnectAsync(server, user);
        var uids = new List<UniqueId>();
        for (int i = 1; i <= 5; i++)
            uids.Add((await b.Inbox.AppendAsync(ImapTestMail.Simple("m" + i), i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None)).Value);
        await using var a = await ImapDialog.ConnectAsync(server.ImapPort);
        await a.LoginAsync(user);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);

        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await b.Inbox.AddFlagsAsync([uids[0], uids[1]], MessageFlags.Flagged, true);
        // Appended after A's view: not in A's answer until announced.
        await b.Inbox.AppendAsync(ImapTestMail.Simple("late"), MessageFlags.Flagged);

        var flagged = await a.CommandAsync("UID SEARCH FLAGGED");
        Assert.True(flagged.Untagged.Contains($"* SEARCH {uids[0].Id} {uids[1].Id}"), flagged.All);
        Assert.Contains($"* SEARCH {uids[0].Id} {uids[1].Id}", flagged.Untagged);
        Assert.Contains("* 6 EXISTS", flagged.Untagged); // announced after the search, which did not include it
        var seq = await a.CommandAsync("SEARCH UNSEEN UNDELETED");
        Assert.Contains("* SEARCH 1 3 5 6", seq.Untagged);
        var none = await a.CommandAsync("SEARCH SEEN UNSEEN");
        Assert.Contains("* SEARCH", none.Untagged);
        var all = await b.Inbox.SearchAsync(SearchQuery.Flagged);
        Assert.Equal(3, all.Count);
    }
}

#nullable disable
using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.DependencyInjection;
using TernStore = Tern.Store;

namespace Tern.Tests.Imap;

/// <summary>RFC 5465 NOTIFY end to end: events about watched mailboxes reach a session without it asking.</summary>
public sealed class NotifyTests
{
    /// <summary>Reads lines the server sends unasked until one satisfies <paramref name="match"/>.</summary>
    static async Task<string> ReadUntilAsync(ImapDialog dialog, Func<string, bool> match, List<string> seen = null)
    {
        while (true)
        {
            var line = await dialog.Client.ReadLineAsync() ?? throw new InvalidOperationException("connection closed");
            seen?.Add(line);
            if (match(line))
                return line;
        }
    }

    static async Task<ImapDialog> LoginAsync(Tern.Tests.Fixtures.TernTestServer server, string user)
    {
        var dialog = await ImapDialog.ConnectAsync(server.ImapPort);
        await dialog.LoginAsync(user);
        return dialog;
    }

    static async Task DeliverAsync(Tern.Tests.Fixtures.TernTestServer server, string user, string mailbox, string subject)
    {
        var account = await server.Accounts.FindUserAsync(user);
        var store = server.Services.GetRequiredService<TernStore.IMailStore>();
        await using var mail = await store.OpenAccountAsync(account.Id);
        await mail.AppendAsync(mailbox, new MemoryStream(ImapTestMail.Bytes(ImapTestMail.Simple(subject))), new TernStore.AppendOptions());
    }

    [Fact]
    public async Task NOTIFY_is_advertised_once_authenticated()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Notify));
        await using var raw = await ImapDialog.ConnectAsync(server.ImapPort);
        Assert.DoesNotContain("NOTIFY", raw.Greeting, StringComparison.Ordinal);
        await raw.LoginAsync(user);
        Assert.Contains(" NOTIFY", (await raw.CommandAsync("CAPABILITY")).Untagged[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_indicator_sends_each_watched_mailbox_and_an_append_elsewhere_arrives_without_a_command()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);
        var set = await a.CommandAsync("NOTIFY SET (STATUS) (selected (MessageNew MessageExpunge)) (personal (MessageNew MessageExpunge))");
        Assert.Equal("OK NOTIFY completed", set.Tagged);
        Assert.Contains(set.Untagged, l => l.StartsWith("* STATUS Archive (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ", StringComparison.Ordinal)
            && l.EndsWith(" UNSEEN 0)", StringComparison.Ordinal));
        Assert.Contains(set.Untagged, l => l.StartsWith("* STATUS Trash (", StringComparison.Ordinal));
        // RFC 5465 5.2: the selected mailbox is reported with EXISTS, not STATUS.
        Assert.DoesNotContain(set.Untagged, l => l.StartsWith("* STATUS INBOX", StringComparison.Ordinal));

        using var b = await ImapTestMail.ConnectAsync(server, user);
        await b.GetFolder("Archive").AppendAsync(ImapTestMail.Simple("filed"));
        var status = await ReadUntilAsync(a, l => l.StartsWith("* STATUS", StringComparison.Ordinal));
        Assert.StartsWith("* STATUS Archive (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ", status);
        Assert.EndsWith(" UNSEEN 1)", status);

        // A new message in the selected mailbox comes as EXISTS, also between commands.
        await b.Inbox.AppendAsync(ImapTestMail.Simple("to inbox"));
        Assert.Equal("* 1 EXISTS", await ReadUntilAsync(a, l => l.EndsWith("EXISTS", StringComparison.Ordinal)));
        Assert.True((await a.CommandAsync("NOOP")).Ok);
    }

    [Fact]
    public async Task Without_a_selected_mailbox_delivery_and_expunge_are_reported_as_STATUS_with_HIGHESTMODSEQ_after_CONDSTORE()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("ENABLE CONDSTORE")).Ok);
        // The RFC 5465 8 form of the status indicator: a bare STATUS.
        var set = await a.CommandAsync("NOTIFY SET STATUS (inboxes (MessageNew MessageExpunge FlagChange))");
        Assert.True(set.Ok, set.Tagged);
        var initial = Assert.Single(set.Untagged);
        Assert.Matches(@"^\* STATUS INBOX \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0 HIGHESTMODSEQ \d+\)$", initial);

        await DeliverAsync(server, user, "INBOX", "delivered");
        Assert.Matches(@"^\* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1 HIGHESTMODSEQ \d+\)$",
            await ReadUntilAsync(a, l => l.StartsWith("* STATUS", StringComparison.Ordinal)));

        // Another mailbox is outside "inboxes": nothing for it.
        await DeliverAsync(server, user, "Archive", "elsewhere");
        await using var b = await LoginAsync(server, user);
        Assert.True((await b.CommandAsync("SELECT INBOX")).Ok);
        Assert.True((await b.CommandAsync("STORE 1 +FLAGS.SILENT (\\Seen)")).Ok);
        Assert.Matches(@"^\* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0 HIGHESTMODSEQ \d+\)$",
            await ReadUntilAsync(a, l => l.StartsWith("* STATUS", StringComparison.Ordinal)));
        Assert.True((await b.CommandAsync("STORE 1 +FLAGS.SILENT (\\Deleted)")).Ok);
        Assert.True((await b.CommandAsync("EXPUNGE")).Ok);
        var seen = new List<string>();
        Assert.Matches(@"^\* STATUS INBOX \(MESSAGES 0 UIDNEXT 2 ",
            await ReadUntilAsync(a, l => l.StartsWith("* STATUS INBOX (MESSAGES 0", StringComparison.Ordinal), seen));
        Assert.DoesNotContain(seen, l => l.Contains("Archive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MailboxName_and_SubscriptionChange_give_LIST_responses_for_another_sessions_CREATE_RENAME_SUBSCRIBE_DELETE()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("NOTIFY SET (personal (MailboxName SubscriptionChange))")).Ok);
        await using var b = await LoginAsync(server, user);

        Assert.True((await b.CommandAsync("CREATE Projects")).Ok);
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Projects", await a.Client.ReadLineAsync());
        Assert.True((await b.CommandAsync("RENAME Projects Plans")).Ok);
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Plans (\"OLDNAME\" (Projects))", await a.Client.ReadLineAsync());
        Assert.True((await b.CommandAsync("SUBSCRIBE Plans")).Ok);
        Assert.Equal("* LIST (\\HasNoChildren \\Subscribed) \"/\" Plans", await a.Client.ReadLineAsync());
        Assert.True((await b.CommandAsync("UNSUBSCRIBE Plans")).Ok);
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Plans", await a.Client.ReadLineAsync());
        Assert.True((await b.CommandAsync("DELETE Plans")).Ok);
        Assert.Equal("* LIST (\\NonExistent) \"/\" Plans", await a.Client.ReadLineAsync());
        // LIST tells the mailbox as it is when sent; a parent deleted while it has children stays as \Noselect.
        Assert.True((await b.CommandAsync("CREATE Top/Child")).Ok);
        Assert.Equal("* LIST (\\HasChildren) \"/\" Top", await a.Client.ReadLineAsync());
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Top/Child", await a.Client.ReadLineAsync());
        Assert.True((await b.CommandAsync("DELETE Top")).Ok);
        Assert.Equal("* LIST (\\Noselect \\HasChildren) \"/\" Top", await a.Client.ReadLineAsync());

        // Message events were not asked for: an append is not reported.
        using var c = await ImapTestMail.ConnectAsync(server, user);
        await c.GetFolder("Archive").AppendAsync(ImapTestMail.Simple("quiet"));
        var noop = await a.CommandAsync("NOOP");
        Assert.Empty(noop.Untagged);
    }

    [Fact]
    public async Task Subtree_and_mailboxes_filters_watch_only_the_named_mailboxes()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        await using var b = await LoginAsync(server, user);
        Assert.True((await b.CommandAsync("CREATE Lists/ietf")).Ok);
        var set = await a.CommandAsync("NOTIFY SET STATUS (subtree Lists (MessageNew)) (mailboxes (Sent Nowhere) (MessageNew MessageExpunge))");
        Assert.True(set.Ok, set.Tagged);
        Assert.Equal(["* STATUS Lists", "* STATUS Lists/ietf", "* STATUS Sent"],
            set.Untagged.Select(l => l[..l.IndexOf(" (", StringComparison.Ordinal)]).Order(StringComparer.Ordinal).ToArray());

        await DeliverAsync(server, user, "Archive", "unwatched");
        await DeliverAsync(server, user, "Lists/ietf", "watched");
        var seen = new List<string>();
        Assert.StartsWith("* STATUS Lists/ietf (MESSAGES 1 ", await ReadUntilAsync(a, l => l.StartsWith("* STATUS", StringComparison.Ordinal), seen));
        Assert.Single(seen);
    }

    [Fact]
    public async Task Selected_MessageNew_with_fetch_attributes_sends_FETCH_and_selected_sends_EXPUNGE_between_commands()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("ENABLE IMAP4rev2")).Ok);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);
        Assert.True((await a.CommandAsync("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge))")).Ok);

        await DeliverAsync(server, user, "INBOX", "Fresh news");
        Assert.Equal("* 1 EXISTS", await a.Client.ReadLineAsync());
        var fetch = await a.Client.ReadLineAsync();
        Assert.StartsWith("* 1 FETCH (UID 1 BODY[HEADER.FIELDS (", fetch);
        Assert.Equal("Subject: Fresh news", await a.Client.ReadLineAsync());

        await using var b = await LoginAsync(server, user);
        Assert.True((await b.CommandAsync("SELECT INBOX")).Ok);
        Assert.True((await b.CommandAsync("STORE 1 +FLAGS.SILENT (\\Deleted)")).Ok);
        Assert.True((await b.CommandAsync("EXPUNGE")).Ok);
        Assert.Equal("* 1 EXPUNGE", await ReadUntilAsync(a, l => l.EndsWith("EXPUNGE", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Selected_delayed_holds_EXPUNGE_until_a_command_that_allows_it()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await DeliverAsync(server, user, "INBOX", "one");
        await DeliverAsync(server, user, "INBOX", "two");
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);
        Assert.True((await a.CommandAsync("NOTIFY SET (selected-delayed (MessageNew MessageExpunge FlagChange)) (personal (MessageNew MessageExpunge))")).Ok);
        await using var b = await LoginAsync(server, user);
        Assert.True((await b.CommandAsync("SELECT INBOX")).Ok);
        Assert.True((await b.CommandAsync("STORE 1 +FLAGS.SILENT (\\Deleted)")).Ok);
        Assert.True((await b.CommandAsync("EXPUNGE")).Ok);
        // A flag change is let through at once, the expunge is not; a sequence-number FETCH does not release it.
        Assert.True((await b.CommandAsync("UID STORE 2 +FLAGS.SILENT (\\Flagged)")).Ok);
        var seen = new List<string>();
        Assert.StartsWith("* 2 FETCH (FLAGS (\\Flagged", await ReadUntilAsync(a, l => l.StartsWith("* 2 FETCH", StringComparison.Ordinal), seen));
        Assert.DoesNotContain(seen, l => l.EndsWith("EXPUNGE", StringComparison.Ordinal));
        var fetch = await a.CommandAsync("FETCH 1:* (UID)");
        Assert.DoesNotContain(fetch.Untagged, l => l.EndsWith("EXPUNGE", StringComparison.Ordinal));
        Assert.Contains("* 1 EXPUNGE", (await a.CommandAsync("NOOP")).Untagged);
    }

    [Fact]
    public async Task IDLE_without_a_selected_mailbox_is_woken_by_a_NOTIFY_event()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("NOTIFY SET (personal (MessageNew MessageExpunge))")).Ok);
        await a.Client.SendLineAsync("i1 IDLE");
        Assert.Equal("+ idling", await a.Client.ReadLineAsync());
        await DeliverAsync(server, user, "Junk", "spam");
        Assert.StartsWith("* STATUS Junk (MESSAGES 1 UIDNEXT 2 ", await a.Client.ReadLineAsync());
        await a.Client.SendLineAsync("DONE");
        Assert.Equal("i1 OK IDLE terminated", await a.Client.ReadLineAsync());
    }

    [Fact]
    public async Task NOTIFY_NONE_stops_the_events()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))")).Ok);
        await DeliverAsync(server, user, "Archive", "first");
        Assert.StartsWith("* STATUS Archive (MESSAGES 1 ", await a.Client.ReadLineAsync());
        Assert.Equal("OK NOTIFY completed", (await a.CommandAsync("NOTIFY NONE")).Tagged);
        await DeliverAsync(server, user, "Archive", "second");
        await using var b = await LoginAsync(server, user);
        Assert.True((await b.CommandAsync("CREATE Quiet")).Ok);
        Assert.Empty((await a.CommandAsync("NOOP")).Untagged);
    }

    [Theory]
    [InlineData("NOTIFY", "BAD")]
    [InlineData("NOTIFY SET", "BAD")]
    [InlineData("NOTIFY GET (personal (MessageNew MessageExpunge))", "BAD")]
    [InlineData("NOTIFY SET (everything (MessageNew MessageExpunge))", "BAD")]
    [InlineData("NOTIFY SET (selected (MessageNew))", "BAD")]
    [InlineData("NOTIFY SET (selected (MessageExpunge))", "BAD")]
    [InlineData("NOTIFY SET (selected (FlagChange))", "BAD")]
    [InlineData("NOTIFY SET (selected-delayed (FlagChange MessageNew))", "BAD")]
    [InlineData("NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", "BAD")]
    [InlineData("NOTIFY SET (selected (MailboxName))", "BAD")]
    [InlineData("NOTIFY SET (personal MessageNew MessageExpunge)", "BAD")]
    [InlineData("NOTIFY SET (selected NONE) (selected-delayed NONE)", "BAD")]
    [InlineData("NOTIFY SET (subtree (MessageNew MessageExpunge))", "BAD")]
    [InlineData("NOTIFY NONE extra", "BAD")]
    [InlineData("NOTIFY SET (personal (MailboxName AnnotationChange))", "NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]")]
    [InlineData("NOTIFY SET (personal (MailboxMetadataChange (/private/comment)))", "NO [BADEVENT (")]
    [InlineData("NOTIFY SET (personal (XSomethingNew))", "NO [BADEVENT (")]
    public async Task Bad_NOTIFY_input_is_refused_as_RFC_5465_says(string command, string expected)
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.StartsWith(expected, (await a.CommandAsync(command)).Tagged);
        // The session goes on, and nothing was set up.
        await DeliverAsync(server, user, "Archive", "after");
        Assert.Empty((await a.CommandAsync("NOOP")).Untagged);
    }

    [Fact]
    public async Task NOTIFY_needs_authentication_and_accepts_names_that_do_not_exist_yet()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var anonymous = await ImapDialog.ConnectAsync(server.ImapPort);
        Assert.StartsWith("BAD", (await anonymous.CommandAsync("NOTIFY NONE")).Tagged);

        await using var a = await LoginAsync(server, user);
        // A name not there yet is watched for when it appears (a later CREATE), not refused.
        var set = await a.CommandAsync("NOTIFY SET STATUS (mailboxes Later (MessageNew MessageExpunge MailboxName))");
        Assert.True(set.Ok, set.Tagged);
        Assert.Empty(set.Untagged);
        await using var b = await LoginAsync(server, user);
        Assert.True((await b.CommandAsync("CREATE Later")).Ok);
        Assert.Equal("* LIST (\\HasNoChildren) \"/\" Later", await a.Client.ReadLineAsync());
    }

    [Fact]
    public async Task Too_many_waiting_events_give_NOTIFICATIONOVERFLOW_and_notifications_stop()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync(new Dictionary<string, string> { ["Imap:MaxPendingNotifications"] = "3" });
        await using var _ = server;
        await using var a = await LoginAsync(server, user);
        Assert.True((await a.CommandAsync("NOTIFY SET (personal (MessageNew MessageExpunge))")).Ok);
        // A command in progress (an APPEND waiting for its literal) holds the events back while they pile up.
        const string message = "Subject: x\r\n\r\nbody\r\n";
        await a.Client.SendLineAsync($"t9 APPEND Drafts {{{message.Length}}}");
        Assert.StartsWith("+ ", await a.Client.ReadLineAsync());
        for (int i = 0; i < 5; i++)
            await DeliverAsync(server, user, "Archive", "flood " + i);
        await a.Client.SendRawAsync(message + "\r\n");
        var append = await a.ReadUntilTaggedAsync("t9");
        Assert.StartsWith("OK", append.Tagged);
        Assert.Equal(["* OK [NOTIFICATIONOVERFLOW] Too many events; notifications stopped"], append.Untagged);

        await DeliverAsync(server, user, "Archive", "after the overflow");
        Assert.Empty((await a.CommandAsync("NOOP")).Untagged);
        // A new NOTIFY SET starts over.
        Assert.True((await a.CommandAsync("NOTIFY SET (personal (MessageNew MessageExpunge))")).Ok);
        await DeliverAsync(server, user, "Archive", "again");
        Assert.StartsWith("* STATUS Archive (MESSAGES 7 ", await a.Client.ReadLineAsync());
    }
}

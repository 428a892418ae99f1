#nullable disable
using MailKit;
using Microsoft.Extensions.DependencyInjection;
using MessageFlags = MailKit.MessageFlags;
using TernStore = Tern.Store;

namespace Tern.Tests.Imap;

/// <summary>Untagged updates between sessions (RFC 9051 7.3.1, 7.5.1, 7.5.2) and IDLE (RFC 2177).</summary>
public sealed class ImapUpdatesTests
{
    [Fact]
    public async Task Two_sessions_on_one_mailbox_see_each_others_appends_flag_changes_and_expunges()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await ImapDialog.ConnectAsync(server.ImapPort);
        await a.LoginAsync(user);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);

        // B appends without selecting INBOX, so A is the session that sees the new messages as \Recent (RFC 9051 2.3.2).
        using var b = await ImapTestMail.ConnectAsync(server, user);
        var u1 = (await b.Inbox.AppendAsync(ImapTestMail.Simple("one"), MessageFlags.None)).Value;
        var u2 = (await b.Inbox.AppendAsync(ImapTestMail.Simple("two"), MessageFlags.None)).Value;

        var noop = await a.CommandAsync("NOOP");
        Assert.Contains("* 2 EXISTS", noop.Untagged);
        Assert.Contains("* 2 RECENT", noop.Untagged);
        await b.Inbox.OpenAsync(FolderAccess.ReadWrite);

        await b.Inbox.AddFlagsAsync(u1, MessageFlags.Flagged, true);
        noop = await a.CommandAsync("NOOP");
        Assert.Contains(noop.Untagged, l => l.StartsWith("* 1 FETCH (FLAGS (\\Flagged \\Recent) UID " + u1.Id, StringComparison.Ordinal));

        await b.Inbox.AddFlagsAsync(u1, MessageFlags.Deleted, true);
        await b.Inbox.ExpungeAsync();
        // RFC 9051 7.5.1: no EXPUNGE while FETCH by sequence number runs; the message still has number 1.
        var fetch = await a.CommandAsync("FETCH 1:* (UID)");
        Assert.DoesNotContain(fetch.Untagged, l => l.EndsWith("EXPUNGE", StringComparison.Ordinal));
        noop = await a.CommandAsync("NOOP");
        Assert.Contains("* 1 EXPUNGE", noop.Untagged);
        var search = await a.CommandAsync("UID SEARCH ALL");
        Assert.Equal($"* SEARCH {u2.Id}", search.Untagged.Single(l => l.StartsWith("* SEARCH", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task IDLE_is_woken_at_once_by_an_append_through_the_store()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var a = await ImapDialog.ConnectAsync(server.ImapPort);
        await a.LoginAsync(user);
        Assert.True((await a.CommandAsync("SELECT INBOX")).Ok);
        await a.Client.SendLineAsync("idle1 IDLE");
        Assert.Equal("+ idling", await a.Client.ReadLineAsync());

        var account = await server.Accounts.FindUserAsync(user);
        var store = server.Services.GetRequiredService<TernStore.IMailStore>();
        await using (var mail = await store.OpenAccountAsync(account.Id))
            await mail.AppendAsync("INBOX", new MemoryStream(ImapTestMail.Bytes(ImapTestMail.Simple("delivered"))), new TernStore.AppendOptions());

        var started = DateTime.UtcNow;
        Assert.Equal("* 1 EXISTS", await a.Client.ReadLineAsync());
        Assert.Equal("* 1 RECENT", await a.Client.ReadLineAsync());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        await a.Client.SendLineAsync("DONE");
        Assert.Equal("idle1 OK IDLE terminated", await a.Client.ReadLineAsync());
    }

    [Fact]
    public async Task MailKit_IDLE_sees_the_count_change()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var idler = await ImapTestMail.ConnectAsync(server, user);
        await idler.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var arrived = new TaskCompletionSource();
        idler.Inbox.CountChanged += (_, _) => arrived.TrySetResult();
        using var done = new CancellationTokenSource();
        var idle = idler.IdleAsync(done.Token);

        using var other = await ImapTestMail.ConnectAsync(server, user);
        await other.Inbox.AppendAsync(ImapTestMail.Simple("wake up"), MessageFlags.None);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        done.Cancel();
        await idle;
        Assert.Equal(1, idler.Inbox.Count);
    }
}

using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Tests.Store;

/// <summary>The SORT/THREAD data a mailbox keeps in memory between commands (AccountHub.Sort.cs): always the mailbox's
/// messages as they are now, whoever changed the mailbox.</summary>
public sealed class SortDataCacheTests
{
    static List<(long Uid, string? Subject)> Expected(params (long Uid, string? Subject)[] rows) => [.. rows];

    static async Task<List<(long Uid, string? Subject)>> KeptAsync(IMailAccount account, long mailboxId) =>
        [.. (await account.GetSortDataAsync(mailboxId)).Select(d => (d.Uid, d.Subject))];

    [Fact]
    public async Task Kept_sort_data_is_reused_while_the_mailbox_is_unchanged()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        for (int i = 0; i < 3; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
        var first = await account.GetSortDataAsync(inbox.Id);
        // A flag change is no change to sort data.
        await account.StoreFlagsAsync(inbox.Id, UidSet.Range(1, 2), new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        var second = await account.GetSortDataAsync(inbox.Id);
        Assert.Same(first, second);
        Assert.Equal(["m0", "m1", "m2"], second.Select(d => d.Subject));
    }

    [Fact]
    public async Task Kept_sort_data_follows_appends_expunges_and_moves_of_other_sessions()
    {
        await using var temp = new TempStore();
        await using var session = await temp.Store.OpenAccountAsync(1);
        await using var other = await temp.Store.OpenAccountAsync(1); // another IMAP session, or delivery
        var inbox = (await session.GetMailboxAsync("INBOX"))!;
        for (int i = 0; i < 6; i++)
            await session.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
        Assert.Equal(6, (await session.GetSortDataAsync(inbox.Id)).Count);

        // Appended by another session.
        await other.AppendAsync("INBOX", TempStore.Message("m6"), new AppendOptions());
        Assert.Equal(Expected((1, "m0"), (2, "m1"), (3, "m2"), (4, "m3"), (5, "m4"), (6, "m5"), (7, "m6")), await KeptAsync(session, inbox.Id));

        // Expunged by another session, from the middle, with an append in the same interval.
        await other.StoreFlagsAsync(inbox.Id, UidSet.Range(2, 3), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await other.ExpungeAsync(inbox.Id);
        await other.AppendAsync("INBOX", TempStore.Message("m7"), new AppendOptions());
        Assert.Equal(Expected((1, "m0"), (4, "m3"), (5, "m4"), (6, "m5"), (7, "m6"), (8, "m7")), await KeptAsync(session, inbox.Id));

        // Moved out (an expunge here), and the highest UID expunged too.
        await other.MoveAsync(inbox.Id, UidSet.Range(8, 8), "Archive");
        await other.MoveAsync(inbox.Id, UidSet.Range(4, 4), "Archive");
        Assert.Equal(Expected((1, "m0"), (5, "m4"), (6, "m5"), (7, "m6")), await KeptAsync(session, inbox.Id));
        var archive = (await session.GetMailboxAsync("Archive"))!;
        Assert.Equal(["m7", "m3"], (await session.GetSortDataAsync(archive.Id)).Select(d => d.Subject));

        // Everything gone, then one more.
        await other.StoreFlagsAsync(inbox.Id, UidSet.Range(1, long.MaxValue), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await other.ExpungeAsync(inbox.Id);
        Assert.Empty(await session.GetSortDataAsync(inbox.Id));
        await other.AppendAsync("INBOX", TempStore.Message("m8"), new AppendOptions());
        Assert.Equal(Expected((9, "m8")), await KeptAsync(session, inbox.Id));
    }

    [Fact]
    public async Task Kept_sort_data_follows_a_mailbox_deleted_and_created_again()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("Lists");
        await account.AppendAsync("Lists", TempStore.Message("old"), new AppendOptions());
        var lists = (await account.GetMailboxAsync("Lists"))!;
        Assert.Single(await account.GetSortDataAsync(lists.Id));
        await account.DeleteMailboxAsync("Lists");
        Assert.Empty(await account.GetSortDataAsync(lists.Id));
        await account.CreateMailboxAsync("Lists");
        await account.AppendAsync("Lists", TempStore.Message("new"), new AppendOptions());
        var again = (await account.GetMailboxAsync("Lists"))!;
        Assert.Equal(["new"], (await account.GetSortDataAsync(again.Id)).Select(d => d.Subject));
    }

    [Fact]
    public async Task Memory_kept_is_bounded_by_mailboxes()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var hub = ((AccountHandle)account).Hub;
        for (int n = 0; n < AccountHub.SortCacheMailboxes + 2; n++)
        {
            await account.CreateMailboxAsync($"Box{n}");
            await account.AppendAsync($"Box{n}", TempStore.Message($"in {n}"), new AppendOptions());
            var box = (await account.GetMailboxAsync($"Box{n}"))!;
            Assert.Equal([$"in {n}"], (await account.GetSortDataAsync(box.Id)).Select(d => d.Subject));
        }
        Assert.Equal(AccountHub.SortCacheMailboxes, hub.SortCacheCount);
    }

    [Fact]
    public async Task Sort_data_of_a_closed_account_is_dropped()
    {
        await using var temp = new TempStore();
        AccountHub closed;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            await account.AppendAsync("INBOX", TempStore.Message("kept"), new AppendOptions());
            Assert.Single(await account.GetSortDataAsync((await account.GetMailboxAsync("INBOX"))!.Id));
            closed = ((AccountHandle)account).Hub;
            Assert.Equal(1, closed.SortCacheCount);
        }
        await temp.RestartAsync(); // the hub goes with its store
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            Assert.Equal(["kept"], (await account.GetSortDataAsync((await account.GetMailboxAsync("INBOX"))!.Id)).Select(d => d.Subject));
            Assert.Equal(1, ((AccountHandle)account).Hub.SortCacheCount);
        }
        Assert.Equal(0, closed.SortCacheCount);
    }

    [Fact]
    public async Task A_message_without_its_index_row_is_not_kept_but_those_below_it_are()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        await account.AppendAsync("INBOX", TempStore.Message("m0"), new AppendOptions());
        Assert.Single(await account.GetSortDataAsync(inbox.Id));
        for (int i = 1; i < 3; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
        await ((AccountHandle)account).Hub.DrainTextBacklogAsync(CancellationToken.None); // their rows written
        // As a message reads whose SORT fields are not written yet (or that reconcile found): no index row.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(temp.AccountDirectory(1), "index.db")};Pooling=False"))
        {
            db.Open();
            using var wipe = db.CreateCommand();
            wipe.CommandText = "DELETE FROM message_meta WHERE message_id = (SELECT message_id FROM mailbox_messages WHERE mailbox_id = $m AND uid = 2)";
            wipe.Parameters.AddWithValue("$m", inbox.Id);
            Assert.Equal(1, wipe.ExecuteNonQuery());
        }
        await account.AppendAsync("INBOX", TempStore.Message("m3"), new AppendOptions());
        var hub = ((AccountHandle)account).Hub;
        Assert.Equal(Expected((1, "m0"), (2, null), (3, "m2"), (4, "m3")), await KeptAsync(account, inbox.Id));
        Assert.Equal(1, hub.SortCacheCount); // UID 1 only
        await account.AppendAsync("INBOX", TempStore.Message("m4"), new AppendOptions());
        Assert.Equal(Expected((1, "m0"), (2, null), (3, "m2"), (4, "m3"), (5, "m4")), await KeptAsync(account, inbox.Id));
    }
}

using Microsoft.Data.Sqlite;
using Tern.Store;
using Tern.Store.FileSystem;
using Tern.Store.Search;

namespace Tern.Tests.Store;

/// <summary>The text rows of appended messages are written after the append's commit (the text backlog): a search or
/// sort never misses a message whose rows are still pending, and rows lost with the process are rebuilt.</summary>
public sealed class TextBacklogTests
{
    static long TextRows(TempStore temp) => temp.IndexScalar("SELECT count(*) FROM message_meta");

    [Fact]
    public async Task A_message_whose_text_row_is_still_pending_is_found_by_search_body_and_sorted()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var hub = ((AccountHandle)account).Hub;
        hub.TextBacklogDelay = TimeSpan.FromHours(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        // The mailbox is known to be fully indexed before the appends: the pending rows must not be skipped for that.
        Assert.Empty(await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "axolotl")));

        var a = await account.AppendAsync("INBOX", TempStore.Message("Zebra crossing", "an axolotl swims"), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("Aardvark burrow", "nothing to see"), new AppendOptions());
        Assert.Equal(2, hub.TextBacklogCount);
        Assert.Equal(0, TextRows(temp));

        // The search matches the pending messages from their files: it neither misses them nor waits for their rows.
        Assert.Equal([a.Uid], await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "axolotl")));
        Assert.Equal([a.Uid], await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Subject, "zebra")));
        Assert.Equal(2, hub.TextBacklogCount);
        Assert.Equal(0, TextRows(temp));

        // A sort needs the rows: it writes them first.
        await account.AppendAsync("INBOX", TempStore.Message("Mongoose", "third"), new AppendOptions());
        var sort = await account.GetSortDataAsync(inbox.Id);
        Assert.Equal(["Zebra crossing", "Aardvark burrow", "Mongoose"], sort.Select(s => s.Subject));
        Assert.Equal(0, hub.TextBacklogCount);
        Assert.Equal(3, TextRows(temp));
        Assert.Equal([a.Uid], await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "axolotl")));
    }

    [Fact]
    public async Task Pending_text_rows_are_written_in_the_background_without_a_search()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        for (int i = 0; i < 3; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}", "background"), new AppendOptions());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (TextRows(temp) < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(3, TextRows(temp));
        Assert.Equal(0, ((AccountHandle)account).Hub.TextBacklogCount);
    }

    [Fact]
    public async Task Text_rows_lost_with_the_process_are_rebuilt_by_the_next_search()
    {
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            ((AccountHandle)account).Hub.TextBacklogDelay = TimeSpan.FromHours(1);
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            await account.AppendAsync("INBOX", TempStore.Message("Lost rows", "a pangolin curls"), new AppendOptions());
        }
        // The process stops (or crashes) before the background pass: the message is in the index, its text rows are not.
        await temp.CrashAsync();
        Assert.Equal(0, TextRows(temp));
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            Assert.Single(await account.SearchTextAsync(inboxId, new TextSearchQuery(TextSearchField.Body, "pangolin")));
            Assert.Equal(["Lost rows"], (await account.GetSortDataAsync(inboxId)).Select(s => s.Subject));
            Assert.Equal(1, TextRows(temp));
        }
        var verify = await temp.Store.VerifyAsync(1, fix: false);
        Assert.True(verify.Clean, string.Join("; ", verify.Problems));
    }

    [Fact]
    public async Task A_pending_message_expunged_before_its_pass_leaves_no_text_rows()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var hub = ((AccountHandle)account).Hub;
        hub.TextBacklogDelay = TimeSpan.FromHours(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        var gone = await account.AppendAsync("INBOX", TempStore.Message("gone", "an okapi"), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("kept", "an okapi too"), new AppendOptions());
        await account.StoreFlagsAsync(inbox.Id, UidSet.Of(gone.Uid), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inbox.Id);

        Assert.Single(await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "okapi")));
        await hub.DrainTextBacklogAsync(CancellationToken.None);
        Assert.Equal(1, TextRows(temp));
        Assert.Single(await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Body, "okapi")));
    }

    [Fact]
    public async Task A_pending_message_copied_to_another_mailbox_is_found_there_and_not_in_a_third()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var hub = ((AccountHandle)account).Hub;
        hub.TextBacklogDelay = TimeSpan.FromHours(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        var archive = (await account.GetMailboxAsync("Archive"))!;
        var trash = (await account.GetMailboxAsync("Trash"))!;
        var a = await account.AppendAsync("INBOX", TempStore.Message("Harbour lights", "a quokka smiles"), new AppendOptions());
        var copy = await account.CopyAsync(inbox.Id, UidSet.Of(a.Uid), "Archive");
        Assert.True(hub.TextBacklogCount > 0);

        Assert.Equal([a.Uid], await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Subject, "harbour")));
        Assert.Equal(copy.DestinationUids, (await account.SearchTextAsync(archive.Id, new TextSearchQuery(TextSearchField.Text, "QUOKKA"))).Order());
        Assert.Empty(await account.SearchTextAsync(trash.Id, new TextSearchQuery(TextSearchField.Body, "quokka")));
        // A header search reads no body text of a pending message.
        Assert.Empty(await account.SearchTextAsync(inbox.Id, new TextSearchQuery(TextSearchField.Subject, "quokka")));
    }
}

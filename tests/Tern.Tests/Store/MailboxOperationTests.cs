using Tern.Store;

namespace Tern.Tests.Store;

public sealed class MailboxOperationTests
{
    [Fact]
    public async Task New_account_has_inbox_and_subscribed_special_use_mailboxes()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var list = await account.ListMailboxesAsync();
        Assert.Equal(["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"], list.Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.All(list, m => Assert.True(m.Subscribed));
        Assert.Equal(SpecialUse.Sent, list.Single(m => m.Name == "Sent").SpecialUse);
        Assert.Equal(SpecialUse.Junk, list.Single(m => m.Name == "Junk").SpecialUse);
        Assert.All(list, m => Assert.NotEqual(0u, m.UidValidity));
        Assert.All(list, m => Assert.Equal(1, m.UidNext));
    }

    [Fact]
    public async Task Inbox_is_case_insensitive_also_as_a_parent()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        Assert.Equal("INBOX", (await account.GetMailboxAsync("inbox"))!.Name);
        var child = await account.CreateMailboxAsync("iNbOx/Lists");
        Assert.Equal("INBOX/Lists", child.Name);
        var ex = await Assert.ThrowsAsync<MailStoreException>(() => account.CreateMailboxAsync("INBOX/lists".Replace("lists", "Lists")));
        Assert.Equal(MailStoreError.AlreadyExists, ex.Error);
        Assert.True((await account.GetMailboxAsync("INBOX"))!.HasChildren);
    }

    [Theory]
    [InlineData("../../../etc/passwd")]
    [InlineData("/absolute")]
    [InlineData("a\0b")]
    [InlineData("..")]
    [InlineData("x/../../y")]
    public async Task Traversal_names_are_refused_and_touch_no_path(string name)
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var before = Directory.GetFileSystemEntries(temp.Directory, "*", SearchOption.AllDirectories).Length;
        await Assert.ThrowsAsync<MailboxNameException>(() => account.CreateMailboxAsync(name));
        await Assert.ThrowsAsync<MailboxNameException>(() => account.AppendAsync(name, TempStore.Message("x"), new AppendOptions()));
        await Assert.ThrowsAsync<MailboxNameException>(() => account.RenameMailboxAsync("Sent", name));
        Assert.Equal(before, Directory.GetFileSystemEntries(temp.Directory, "*", SearchOption.AllDirectories).Length);
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(temp.Directory)!, "passwd"));
    }

    [Fact]
    public async Task Deep_names_are_refused()
    {
        await using var temp = new TempStore();
        temp.Options.Store.MaxMailboxDepth = 3;
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("a/b/c");
        await Assert.ThrowsAsync<MailboxNameException>(() => account.CreateMailboxAsync("a/b/c/d"));
    }

    [Fact]
    public async Task Create_makes_missing_parents_and_refuses_duplicates()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("Work/2026/Q4");
        var names = (await account.ListMailboxesAsync()).Select(m => m.Name).ToList();
        Assert.Contains("Work", names);
        Assert.Contains("Work/2026", names);
        var ex = await Assert.ThrowsAsync<MailStoreException>(() => account.CreateMailboxAsync("Work"));
        Assert.Equal(MailStoreError.AlreadyExists, ex.Error);
    }

    [Fact]
    public async Task Delete_with_children_keeps_a_noselect_parent_and_inbox_cannot_be_deleted()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("P/C");
        await account.AppendAsync("P", TempStore.Message("in parent"), new AppendOptions());
        await account.DeleteMailboxAsync("P");
        var parent = (await account.GetMailboxAsync("P"))!;
        Assert.True(parent.NoSelect);
        Assert.True(parent.HasChildren);
        Assert.Equal(0, (await account.GetQuotaAsync()).MessageCount);
        var again = await Assert.ThrowsAsync<MailStoreException>(() => account.DeleteMailboxAsync("P"));
        Assert.Equal(MailStoreError.NotAllowed, again.Error);
        var append = await Assert.ThrowsAsync<MailStoreException>(() => account.AppendAsync("P", TempStore.Message("x"), new AppendOptions()));
        Assert.Equal(MailStoreError.NotAllowed, append.Error);
        await account.DeleteMailboxAsync("P/C");
        Assert.Null(await account.GetMailboxAsync("P/C"));
        var inbox = await Assert.ThrowsAsync<MailStoreException>(() => account.DeleteMailboxAsync("inbox"));
        Assert.Equal(MailStoreError.NotAllowed, inbox.Error);
        var missing = await Assert.ThrowsAsync<MailStoreException>(() => account.DeleteMailboxAsync("Nope"));
        Assert.Equal(MailStoreError.NotFound, missing.Error);
    }

    [Fact]
    public async Task Rename_moves_children_keeps_uidvalidity_and_subscriptions()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var a = await account.CreateMailboxAsync("A");
        await account.CreateMailboxAsync("A/B");
        await account.SetSubscribedAsync("A/B", true);
        await account.AppendAsync("A/B", TempStore.Message("kept"), new AppendOptions());
        await account.RenameMailboxAsync("A", "Z/Y");
        Assert.Null(await account.GetMailboxAsync("A"));
        Assert.Null(await account.GetMailboxAsync("A/B"));
        var renamed = (await account.GetMailboxAsync("Z/Y"))!;
        Assert.Equal(a.Id, renamed.Id);
        Assert.Equal(a.UidValidity, renamed.UidValidity);
        var child = (await account.GetMailboxAsync("Z/Y/B"))!;
        Assert.Single(await account.GetMessagesAsync(child.Id));
        Assert.NotNull(await account.GetMailboxAsync("Z"));
        Assert.Contains("Z/Y/B", await account.ListSubscriptionsAsync());
        Assert.DoesNotContain("A/B", await account.ListSubscriptionsAsync());
        var exists = await Assert.ThrowsAsync<MailStoreException>(() => account.RenameMailboxAsync("Sent", "Drafts"));
        Assert.Equal(MailStoreError.AlreadyExists, exists.Error);
        var into = await Assert.ThrowsAsync<MailStoreException>(() => account.RenameMailboxAsync("Z", "Z/Y/B/C"));
        Assert.Equal(MailStoreError.NotAllowed, into.Error);
    }

    [Fact]
    public async Task Renaming_inbox_moves_its_messages_and_leaves_it_empty()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("INBOX/Child");
        await account.AppendAsync("INBOX", TempStore.Message("one"), new AppendOptions(MessageFlags.Seen));
        await account.AppendAsync("INBOX", TempStore.Message("two"), new AppendOptions());
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        await account.RenameMailboxAsync("INBOX", "Old");
        var old = (await account.GetMailboxAsync("Old"))!;
        var moved = await account.GetMessagesAsync(old.Id);
        Assert.Equal(2, moved.Count);
        Assert.Equal(MessageFlags.Seen, moved[0].Flags);
        var after = (await account.GetMailboxAsync("INBOX"))!;
        Assert.Equal(inbox.UidValidity, after.UidValidity);
        Assert.Empty(await account.GetMessagesAsync(after.Id));
        Assert.Equal([1L, 2L], await account.GetExpungedSinceAsync(after.Id, inbox.HighestModSeq));
        Assert.NotNull(await account.GetMailboxAsync("INBOX/Child"));
        Assert.True(old.UidNext > 2);
    }

    [Fact]
    public async Task Subscriptions_can_be_added_and_removed_and_survive_delete()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("News");
        await account.SetSubscribedAsync("News", true);
        Assert.True((await account.GetMailboxAsync("News"))!.Subscribed);
        await account.SetSubscribedAsync("Junk", false);
        Assert.DoesNotContain("Junk", await account.ListSubscriptionsAsync());
        await account.DeleteMailboxAsync("News");
        // RFC 3501 6.3.6: the server must not remove a subscription because the mailbox went.
        Assert.Contains("News", await account.ListSubscriptionsAsync());
    }

    [Fact]
    public async Task Status_counts_messages_unseen_recent_size_and_deleted()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var r1 = await account.AppendAsync("INBOX", TempStore.Message("a"), new AppendOptions(MessageFlags.Seen));
        var r2 = await account.AppendAsync("INBOX", TempStore.Message("b"), new AppendOptions(MessageFlags.Deleted));
        var r3 = await account.AppendAsync("INBOX", TempStore.Message("c"), new AppendOptions());
        var status = await account.GetStatusAsync("inbox");
        Assert.Equal(3, status.Messages);
        Assert.Equal(2, status.Unseen);
        Assert.Equal(3, status.Recent);
        Assert.Equal(1, status.Deleted);
        Assert.Equal(r1.Size + r2.Size + r3.Size, status.Size);
        Assert.Equal(4, status.Mailbox.UidNext);
        var missing = await Assert.ThrowsAsync<MailStoreException>(() => account.GetStatusAsync("Nope"));
        Assert.Equal(MailStoreError.NotFound, missing.Error);
    }
}

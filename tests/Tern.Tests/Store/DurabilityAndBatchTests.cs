using Tern.Store;

namespace Tern.Tests.Store;

/// <summary>Flag changes and expunges commit without an fsync of their own; a crash raises every MODSEQ so CONDSTORE
/// clients resync. And the batch structure read used by FETCH.</summary>
public sealed class DurabilityAndBatchTests
{
    [Fact]
    public async Task After_a_crash_every_modseq_is_raised_above_any_a_client_saw()
    {
        await using var temp = new TempStore();
        long inboxId, seenModSeq;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            for (int i = 0; i < 3; i++)
                await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
            var stored = await account.StoreFlagsAsync(inboxId, UidSet.Of(2), new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
            seenModSeq = Assert.Single(stored.Updated).ModSeq;
        }
        await temp.CrashAsync();

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var messages = await reopened.GetMessagesAsync(inboxId);
        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.True(m.ModSeq > seenModSeq, $"UID {m.Uid} has MODSEQ {m.ModSeq}, not above {seenModSeq}"));
        Assert.Equal([1L, 2L, 3L], (await reopened.GetChangedSinceAsync(inboxId, seenModSeq)).Select(m => m.Uid));
        Assert.True((await reopened.GetMailboxAsync("INBOX"))!.HighestModSeq > seenModSeq);
        // The flag change itself survived (a process crash loses nothing that was committed).
        Assert.Equal(MessageFlags.Flagged, messages.Single(m => m.Uid == 2).Flags & MessageFlags.Flagged);
    }

    [Fact]
    public async Task Appends_write_into_a_spare_temporary_file_made_beforehand_and_none_is_left_after_close()
    {
        await using var temp = new TempStore();
        var tmp = Path.Combine(temp.AccountDirectory(1), "tmp");
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            var inbox = (await account.GetMailboxAsync("INBOX"))!;
            var uids = new List<long>();
            for (int i = 0; i < 4; i++)
            {
                uids.Add((await account.AppendAsync("INBOX", TempStore.Message($"m{i}", $"body {i}"), new AppendOptions())).Uid);
                // The spare for the next append is made in the background: one at most, and empty.
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (System.IO.Directory.GetFiles(tmp).Length == 0 && DateTime.UtcNow < deadline)
                    await Task.Delay(5);
                var files = System.IO.Directory.GetFiles(tmp);
                Assert.Single(files);
                Assert.StartsWith("spare-", Path.GetFileName(files[0]), StringComparison.Ordinal);
                Assert.Equal(0, new FileInfo(files[0]).Length);
            }
            for (int i = 0; i < 4; i++)
                Assert.Contains($"body {i}", await TempStore.ReadAllAsync(account, inbox.Id, uids[i]), StringComparison.Ordinal);
        }
        await temp.RestartAsync();
        Assert.Empty(System.IO.Directory.GetFiles(tmp));
    }

    [Fact]
    public async Task A_spare_temporary_file_left_by_a_crash_is_removed_without_a_problem_reported()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
            await account.AppendAsync("INBOX", TempStore.Message("one"), new AppendOptions());
        await temp.CrashAsync();
        var tmp = Path.Combine(temp.AccountDirectory(1), "tmp");
        File.WriteAllBytes(Path.Combine(tmp, "spare-0123456789abcdef"), []);
        var verify = await temp.Store.VerifyAsync(1, fix: false);
        Assert.True(verify.Clean, string.Join("; ", verify.Problems));
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            Assert.DoesNotContain(System.IO.Directory.GetFiles(tmp), f => f.EndsWith("spare-0123456789abcdef", StringComparison.Ordinal));
            Assert.Equal(2, (await account.AppendAsync("INBOX", TempStore.Message("two"), new AppendOptions())).Uid);
        }
    }

    [Fact]
    public async Task A_clean_restart_keeps_flags_expunges_and_modseqs()
    {
        await using var temp = new TempStore();
        long inboxId;
        IReadOnlyList<MessageInfo> before;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            for (int i = 0; i < 3; i++)
                await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
            await account.StoreFlagsAsync(inboxId, UidSet.Of(1, 3), new FlagChange(FlagOperation.Add, MessageFlags.Deleted | MessageFlags.Seen, []));
            await account.StoreFlagsAsync(inboxId, UidSet.Of(2), new FlagChange(FlagOperation.Add, MessageFlags.Answered, []));
            Assert.Equal([1L], await account.ExpungeAsync(inboxId, UidSet.Of(1)));
            before = await account.GetMessagesAsync(inboxId);
        }
        await temp.RestartAsync();

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var after = await reopened.GetMessagesAsync(inboxId);
        Assert.Equal(before.Select(m => (m.Uid, m.Flags, m.ModSeq)), after.Select(m => (m.Uid, m.Flags, m.ModSeq)));
        Assert.Equal([2L, 3L], after.Select(m => m.Uid));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*.eml", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Batch_structure_read_returns_each_message_and_leaves_out_expunged_ones()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
        for (int i = 1; i <= 4; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"subject {i}"), new AppendOptions());
        await account.StoreFlagsAsync(inboxId, UidSet.Of(2), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inboxId);

        var structures = await account.GetStructuresAsync(inboxId, UidSet.Range(1, long.MaxValue));
        Assert.Equal([1L, 3L, 4L], structures.Keys.Order());
        Assert.Equal("subject 3", structures[3].Envelope.Subject);
        Assert.Equal((await account.GetStructureAsync(inboxId, 4)).Body.BodyOffset, structures[4].Body.BodyOffset);
    }

    [Fact]
    public async Task A_message_expunged_after_its_structure_was_read_cannot_be_opened()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
        await account.AppendAsync("INBOX", TempStore.Message("kept"), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("going"), new AppendOptions());
        // The batch read remembers where both files are...
        Assert.Equal(2, (await account.GetStructuresAsync(inboxId, UidSet.Range(1, 2))).Count);
        await account.StoreFlagsAsync(inboxId, UidSet.Of(2), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inboxId);

        // ...but an expunged message is NotFound, as without the batch read, and the other one still opens.
        var error = await Assert.ThrowsAsync<MailStoreException>(() => account.OpenMessageAsync(inboxId, 2));
        Assert.Equal(MailStoreError.NotFound, error.Error);
        Assert.Contains("kept", await TempStore.ReadAllAsync(account, inboxId, 1));
    }

    [Fact]
    public async Task Mailbox_view_has_every_uid_the_keywords_in_use_and_the_first_unseen()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
        var empty = await account.GetMailboxViewAsync(inboxId);
        Assert.Empty(empty.Uids);
        Assert.Null(empty.FirstUnseenUid);
        await account.AppendAsync("INBOX", TempStore.Message("a"), new AppendOptions(MessageFlags.Seen, ["$Work"]));
        await account.AppendAsync("INBOX", TempStore.Message("b"), new AppendOptions(MessageFlags.Seen, ["$work", "Later"]));
        await account.AppendAsync("INBOX", TempStore.Message("c"), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("d"), new AppendOptions());
        await account.StoreFlagsAsync(inboxId, UidSet.Of(1), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inboxId);

        var view = await account.GetMailboxViewAsync(inboxId);
        Assert.Equal([2L, 3L, 4L], view.Uids);
        Assert.Equal(3L, view.FirstUnseenUid);
        // Keywords compare without case (RFC 9051 2.3.2): one of "$work"/"$Work", and "Later".
        Assert.Equal(2, view.Keywords.Count);
        Assert.Contains("Later", view.Keywords);
        var messages = await account.GetMessagesAsync(inboxId);
        Assert.Equal(messages.Select(m => m.Uid), view.Uids);
    }

    [Fact]
    public async Task Bulk_append_stores_each_message_with_its_file_structure_date_and_search_text()
    {
        await using var temp = new TempStore();
        long inboxId;
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var contents = Enumerable.Range(0, 25).Select(i => TempStore.Message($"bulk {i}", i == 17 ? "the rare word quokka" : "Hello.").ToArray()).ToList();
        await using (var account = (Tern.Store.FileSystem.AccountHandle)await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            // 25 messages in batches of 10: the last batch is short, and each message is made on some core of its own.
            var uids = await account.BulkAppendAsync("INBOX", Enumerable.Range(0, 25).Select(i =>
                (contents[i], new AppendOptions(i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None, null, start.AddMinutes(i)))), 10, default);
            Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), uids);
        }
        await temp.RestartAsync();

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var messages = await reopened.GetMessagesAsync(inboxId);
        Assert.Equal(25, messages.Count);
        for (int i = 0; i < 25; i++)
        {
            var message = messages[i];
            Assert.Equal(i + 1, message.Uid);
            Assert.Equal(start.AddMinutes(i), message.InternalDate);
            Assert.Equal(i % 2 == 0, message.Flags.HasFlag(MessageFlags.Seen));
            Assert.Equal($"bulk {i}", (await reopened.GetStructureAsync(inboxId, message.Uid)).Envelope.Subject);
            await using var file = await reopened.OpenMessageAsync(inboxId, message.Uid);
            using var copy = new MemoryStream();
            await file.CopyToAsync(copy);
            Assert.Equal(contents[i], copy.ToArray());
        }
        Assert.Equal([18L], await reopened.SearchTextAsync(inboxId, new TextSearchQuery(TextSearchField.Body, "QUOKKA")));
    }
}

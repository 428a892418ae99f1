using System.Collections.Concurrent;
using System.Text;
using Tern.Store;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Store;

public sealed class MessageOperationTests
{
    [Fact]
    public async Task Append_stores_crlf_content_flags_keywords_and_date()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var date = new DateTimeOffset(2020, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));
        var raw = "Subject: lf only\nFrom: a@example.org\n\nbody line\rcr only\r\nmixed\n";
        var result = await account.AppendAsync("INBOX", new MemoryStream(Encoding.ASCII.GetBytes(raw)),
            new AppendOptions(MessageFlags.Seen | MessageFlags.Flagged, ["$Label1", "$label1", "Work"], date));
        var expected = "Subject: lf only\r\nFrom: a@example.org\r\n\r\nbody line\r\ncr only\r\nmixed\r\n";
        Assert.Equal(Encoding.ASCII.GetByteCount(expected), result.Size);
        Assert.Equal(1, result.Uid);
        Assert.Equal(expected, await TempStore.ReadAllAsync(account, result.MailboxId, result.Uid));
        var info = Assert.Single(await account.GetMessagesAsync(result.MailboxId));
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, info.Flags);
        Assert.Equal(["$Label1", "Work"], info.Keywords);
        Assert.Equal(date, info.InternalDate);
        Assert.Equal(date.Offset, info.InternalDate.Offset);
        Assert.Equal(result.Size, info.Size);
        Assert.StartsWith("M", info.EmailId);
        var structure = await account.GetStructureAsync(result.MailboxId, result.Uid);
        Assert.Equal("lf only", structure.Envelope.Subject);
        Assert.Equal(result.Size, structure.Body.BodyOffset + structure.Body.BodyLength);
    }

    [Fact]
    public async Task Uids_ascend_and_modseq_grows_with_every_change()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        long last = inbox.HighestModSeq;
        for (int i = 1; i <= 3; i++)
        {
            var r = await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
            Assert.Equal(i, r.Uid);
            Assert.Equal(inbox.UidValidity, r.UidValidity);
            var now = (await account.GetMailboxAsync("INBOX"))!.HighestModSeq;
            Assert.True(now > last);
            last = now;
        }
        await account.StoreFlagsAsync(inbox.Id, UidSet.Of(2), new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        var afterFlags = (await account.GetMailboxAsync("INBOX"))!.HighestModSeq;
        Assert.True(afterFlags > last);
        var changed = await account.GetChangedSinceAsync(inbox.Id, last);
        Assert.Equal(2, Assert.Single(changed).Uid);
        Assert.Equal(afterFlags, changed[0].ModSeq);
    }

    [Fact]
    public async Task Store_flags_adds_removes_replaces_and_honours_unchangedsince()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        for (int i = 0; i < 3; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions(MessageFlags.Seen, ["old"]));
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        var add = await account.StoreFlagsAsync(inbox.Id, UidSet.Range(1, long.MaxValue), new FlagChange(FlagOperation.Add, MessageFlags.Flagged, ["New"]));
        Assert.All(add.Updated, m => Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, m.Flags));
        Assert.All(add.Updated, m => Assert.Equal(["old", "New"], m.Keywords));
        var remove = await account.StoreFlagsAsync(inbox.Id, UidSet.Of(1), new FlagChange(FlagOperation.Remove, MessageFlags.Seen, ["OLD"]));
        Assert.Equal(MessageFlags.Flagged, remove.Updated[0].Flags);
        Assert.Equal(["New"], remove.Updated[0].Keywords);
        var replace = await account.StoreFlagsAsync(inbox.Id, UidSet.Of(2), new FlagChange(FlagOperation.Replace, MessageFlags.Answered, []));
        Assert.Equal(MessageFlags.Answered, replace.Updated[0].Flags);
        Assert.Empty(replace.Updated[0].Keywords);

        var current = await account.GetMessagesAsync(inbox.Id);
        long since = current.Single(m => m.Uid == 3).ModSeq;
        await account.StoreFlagsAsync(inbox.Id, UidSet.Of(1), new FlagChange(FlagOperation.Add, MessageFlags.Draft, []));
        // UID 1 changed after `since`; UID 3 did not.
        var conditional = await account.StoreFlagsAsync(inbox.Id, UidSet.Of(1, 3),
            new FlagChange(FlagOperation.Add, MessageFlags.Deleted, [], UnchangedSince: since));
        Assert.Equal([1L], conditional.Modified);
        Assert.Equal(3, Assert.Single(conditional.Updated).Uid);
        Assert.True(conditional.Updated[0].Flags.HasFlag(MessageFlags.Deleted));
        Assert.False((await account.GetMessagesAsync(inbox.Id, UidSet.Of(1)))[0].Flags.HasFlag(MessageFlags.Deleted));
    }

    [Fact]
    public async Task Copy_and_move_return_uid_pairs_and_share_the_file()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        for (int i = 0; i < 4; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions(i == 0 ? MessageFlags.Seen : MessageFlags.None));
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        var archive = (await account.GetMailboxAsync("Archive"))!;
        var copy = await account.CopyAsync(inbox.Id, UidSet.Range(1, 2), "Archive");
        Assert.Equal(archive.Id, copy.DestinationMailboxId);
        Assert.Equal(archive.UidValidity, copy.DestinationUidValidity);
        Assert.Equal([1L, 2L], copy.SourceUids);
        Assert.Equal([1L, 2L], copy.DestinationUids);
        var copied = await account.GetMessagesAsync(archive.Id);
        Assert.Equal(MessageFlags.Seen, copied[0].Flags);
        var originals = await account.GetMessagesAsync(inbox.Id);
        Assert.Equal(originals[0].EmailId, copied[0].EmailId);
        var files = Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*.eml", SearchOption.AllDirectories);
        Assert.Equal(4, files.Length);
        Assert.Equal(6, (await account.GetQuotaAsync()).MessageCount);

        var before = (await account.GetMailboxAsync("INBOX"))!.HighestModSeq;
        var move = await account.MoveAsync(inbox.Id, UidSet.Of(3, 4), "Archive");
        Assert.Equal([3L, 4L], move.SourceUids);
        Assert.Equal([3L, 4L], move.DestinationUids);
        Assert.Equal([1L, 2L], (await account.GetMessagesAsync(inbox.Id)).Select(m => m.Uid));
        Assert.Equal([3L, 4L], await account.GetExpungedSinceAsync(inbox.Id, before));
        Assert.Equal(4, (await account.GetMessagesAsync(archive.Id)).Count);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*.eml", SearchOption.AllDirectories).Length);
        Assert.Contains("Subject: m2", await TempStore.ReadAllAsync(account, archive.Id, 3));
        var none = await account.CopyAsync(inbox.Id, UidSet.Of(99), "Archive");
        Assert.Empty(none.DestinationUids);
    }

    [Fact]
    public async Task Expunge_removes_deleted_messages_records_them_and_deletes_the_last_file_copy()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        for (int i = 0; i < 4; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions(i < 3 ? MessageFlags.Deleted : MessageFlags.None));
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        await account.CopyAsync(inbox.Id, UidSet.Of(1), "Trash");
        long before = (await account.GetMailboxAsync("INBOX"))!.HighestModSeq;
        Assert.Equal([2L], await account.ExpungeAsync(inbox.Id, UidSet.Of(2, 4)));
        Assert.Equal([1L, 3L], await account.ExpungeAsync(inbox.Id));
        Assert.Equal([4L], (await account.GetMessagesAsync(inbox.Id)).Select(m => m.Uid));
        Assert.Equal([1L, 2L, 3L], await account.GetExpungedSinceAsync(inbox.Id, before));
        var files = Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*.eml", SearchOption.AllDirectories);
        Assert.Equal(2, files.Length); // UID 4, and UID 1's file still used by its copy in Trash
        var trash = (await account.GetMailboxAsync("Trash"))!;
        Assert.Contains("m0", await TempStore.ReadAllAsync(account, trash.Id, 1));
        var quota = await account.GetQuotaAsync();
        Assert.Equal(2, quota.MessageCount);
    }

    [Fact]
    public async Task Uid_ranges_with_star_mean_the_highest_uid()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        for (int i = 0; i < 3; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        Assert.Equal([3L], (await account.GetMessagesAsync(inbox.Id, UidSet.Range(10, long.MaxValue))).Select(m => m.Uid));
        Assert.Equal([2L, 3L], (await account.GetMessagesAsync(inbox.Id, UidSet.Range(2, long.MaxValue))).Select(m => m.Uid));
        Assert.Empty(await account.GetMessagesAsync(inbox.Id, UidSet.Of(7)));
    }

    [Fact]
    public async Task Changes_reach_every_open_handle_after_commit()
    {
        await using var temp = new TempStore();
        await using var session = await temp.Store.OpenAccountAsync(1);
        await using var delivery = await temp.Store.OpenAccountAsync(1);
        var seen = new ConcurrentQueue<MailboxChange>();
        session.Changed += seen.Enqueue;
        var r = await delivery.AppendAsync("INBOX", TempStore.Message("new"), new AppendOptions());
        await delivery.StoreFlagsAsync(r.MailboxId, UidSet.Of(r.Uid), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await delivery.ExpungeAsync(r.MailboxId);
        await delivery.CreateMailboxAsync("Fresh");
        var kinds = seen.Select(c => c.Kind).ToList();
        Assert.Equal([MailboxChangeKind.Appended, MailboxChangeKind.FlagsChanged, MailboxChangeKind.Expunged, MailboxChangeKind.MailboxCreated], kinds);
        var appended = seen.First();
        Assert.Equal([r.Uid], appended.Uids);
        Assert.Equal("INBOX", appended.MailboxName);
        // A handler sees the committed state.
        long observed = -1;
        session.Changed += c => { if (c.Kind == MailboxChangeKind.Appended) observed = session.GetMessagesAsync(c.MailboxId).Result.Count; };
        await delivery.AppendAsync("INBOX", TempStore.Message("second"), new AppendOptions());
        Assert.Equal(1, observed);
    }

    [Fact]
    public async Task Recent_is_claimed_by_one_session_only()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.AppendAsync("INBOX", TempStore.Message("a"), new AppendOptions());
        await account.AppendAsync("INBOX", TempStore.Message("b"), new AppendOptions());
        var inbox = (await account.GetMailboxAsync("INBOX"))!;
        Assert.Equal(1, await account.ClaimRecentAsync(inbox.Id));
        Assert.Equal(3, await account.ClaimRecentAsync(inbox.Id));
        Assert.Equal(0, (await account.GetStatusAsync("INBOX")).Recent);
        await account.AppendAsync("INBOX", TempStore.Message("c"), new AppendOptions());
        Assert.Equal(1, (await account.GetStatusAsync("INBOX")).Recent);
        Assert.Equal(3, await account.ClaimRecentAsync(inbox.Id));
    }

    [Fact]
    public async Task Recent_claims_are_written_to_the_index_shortly_after_and_survive_a_restart()
    {
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            await account.AppendAsync("INBOX", TempStore.Message("a"), new AppendOptions());
            await account.AppendAsync("INBOX", TempStore.Message("b"), new AppendOptions());
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            Assert.Equal(1, await account.ClaimRecentAsync(inboxId));
            // Claimed in memory first, then written by a background transaction.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (StoredRecentUid(temp) != 3 && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.Equal(3, StoredRecentUid(temp));

            await account.AppendAsync("INBOX", TempStore.Message("c"), new AppendOptions());
            Assert.Equal(3, await account.ClaimRecentAsync(inboxId)); // written at close, if not before
        }
        await temp.RestartAsync();
        await using var reopened = await temp.Store.OpenAccountAsync(1);
        Assert.Equal(0, (await reopened.GetStatusAsync("INBOX")).Recent);
        Assert.Equal(4, await reopened.ClaimRecentAsync(inboxId)); // nothing recent left for a new session
    }

    static long StoredRecentUid(TempStore temp) => temp.IndexScalar("SELECT recent_uid FROM mailboxes WHERE name = 'INBOX'");

    [Fact]
    public async Task Maildrop_lock_is_exclusive_and_released_on_dispose_of_lock_or_handle()
    {
        await using var temp = new TempStore();
        var first = await temp.Store.OpenAccountAsync(1);
        await using var second = await temp.Store.OpenAccountAsync(1);
        var inbox = (await first.GetMailboxAsync("INBOX"))!;
        var held = await first.TryLockMaildropAsync(inbox.Id);
        Assert.NotNull(held);
        Assert.Null(await second.TryLockMaildropAsync(inbox.Id));
        await held!.DisposeAsync();
        var again = await second.TryLockMaildropAsync(inbox.Id);
        Assert.NotNull(again);
        await again!.DisposeAsync();
        Assert.NotNull(await first.TryLockMaildropAsync(inbox.Id));
        await first.DisposeAsync(); // a dropped connection disposes its handle
        Assert.NotNull(await second.TryLockMaildropAsync(inbox.Id));
    }

    [Fact]
    public async Task Quota_refuses_appends_and_copies_that_would_exceed_it()
    {
        await using var temp = new TempStore(quotaBytes: 1000);
        await using var account = await temp.Store.OpenAccountAsync(1);
        var r = await account.AppendAsync("INBOX", TempStore.Message("small", new string('x', 300)), new AppendOptions());
        var quota = await account.GetQuotaAsync();
        Assert.Equal(1000, quota.StorageLimitBytes);
        Assert.Equal(r.Size, quota.StorageUsedBytes);
        var over = await Assert.ThrowsAsync<MailStoreException>(() =>
            account.AppendAsync("INBOX", TempStore.Message("big", new string('y', 900)), new AppendOptions()));
        Assert.Equal(MailStoreError.OverQuota, over.Error);
        await account.CopyAsync(r.MailboxId, UidSet.Of(r.Uid), "Archive");
        var copyOver = await Assert.ThrowsAsync<MailStoreException>(() => account.CopyAsync(r.MailboxId, UidSet.Of(r.Uid), "Archive"));
        Assert.Equal(MailStoreError.OverQuota, copyOver.Error);
        Assert.Equal(2, (await account.GetQuotaAsync()).MessageCount);
        // No temporary file is left but the empty spare the next append writes into.
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "tmp")),
            f => !Path.GetFileName(f).StartsWith("spare-", StringComparison.Ordinal) || new FileInfo(f).Length > 0);
        Assert.Single(Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*.eml", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Append_to_a_missing_mailbox_is_refused_without_leaving_a_file()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var ex = await Assert.ThrowsAsync<MailStoreException>(() => account.AppendAsync("Nope", TempStore.Message("x"), new AppendOptions()));
        Assert.Equal(MailStoreError.NotFound, ex.Error);
        Assert.Empty(Directory.GetFiles(temp.AccountDirectory(1), "*.eml", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Concurrent_appends_from_many_threads_get_unique_ascending_uids_and_modseqs()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await account.CreateMailboxAsync("Other");
        const int Threads = 8, PerThread = 15;
        var results = new ConcurrentBag<(int Thread, int Index, AppendResult Result)>();
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            await using var session = await temp.Store.OpenAccountAsync(1);
            for (int i = 0; i < PerThread; i++)
            {
                var target = i % 3 == 0 ? "Other" : "INBOX";
                var r = await session.AppendAsync(target, TempStore.Message($"t{t}-{i}"), new AppendOptions());
                results.Add((t, i, r));
                if (i % 5 == 0)
                    await session.StoreFlagsAsync(r.MailboxId, UidSet.Of(r.Uid), new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
            }
        })));
        Assert.Equal(Threads * PerThread, results.Count);
        foreach (var mailbox in new[] { "INBOX", "Other" })
        {
            var info = (await account.GetMailboxAsync(mailbox))!;
            var messages = await account.GetMessagesAsync(info.Id);
            var uids = results.Where(r => r.Result.MailboxId == info.Id).Select(r => r.Result.Uid).Order().ToList();
            Assert.Equal(uids.Count, uids.Distinct().Count());
            Assert.Equal(uids, messages.Select(m => m.Uid));
            Assert.Equal(Enumerable.Range(1, uids.Count).Select(i => (long)i), uids);
            Assert.Equal(uids.Count + 1, info.UidNext);
            Assert.Equal(messages.Count, messages.Select(m => m.ModSeq).Distinct().Count());
            Assert.Equal(messages.Max(m => m.ModSeq), info.HighestModSeq);
        }
        // Within one thread, later appends got higher UIDs in the same mailbox.
        foreach (var perThread in results.GroupBy(r => (r.Thread, r.Result.MailboxId)))
        {
            var ordered = perThread.OrderBy(r => r.Index).Select(r => r.Result.Uid).ToList();
            Assert.Equal(ordered.Order(), ordered);
        }
        foreach (var r in results.Where(r => r.Index == 7))
            Assert.Contains($"t{r.Thread}-7", await TempStore.ReadAllAsync(account, r.Result.MailboxId, r.Result.Uid));
    }
}

public sealed class AppendFailureTests
{
    /// <summary>Fails like a full disk (ENOSPC) after some bytes.</summary>
    sealed class FailingStream(int failAfter) : UnseekableReadStream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Offset >= failAfter) throw new IOException("No space left on device", 28);
            int n = Math.Min(count, failAfter - Offset);
            Array.Fill(buffer, (byte)'a', offset, n);
            Offset += n;
            return n;
        }
    }

    [Fact]
    public async Task Disk_full_during_append_is_reported_and_leaves_no_partial_message()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var ex = await Assert.ThrowsAsync<MailStoreException>(() => account.AppendAsync("INBOX", new FailingStream(100_000), new AppendOptions()));
        Assert.Equal(MailStoreError.DiskFull, ex.Error);
        Assert.DoesNotContain(Directory.GetFiles(temp.AccountDirectory(1), "*", SearchOption.AllDirectories),
            f => f.EndsWith(".eml", StringComparison.Ordinal) || f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Equal(0, (await account.GetStatusAsync("INBOX")).Messages);
        // The store goes on working once space is back.
        Assert.Equal(1, (await account.AppendAsync("INBOX", TempStore.Message("after"), new AppendOptions())).Uid);
    }
}

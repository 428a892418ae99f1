using Microsoft.Data.Sqlite;
using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Tests.Store;

public sealed class RecoveryTests
{
    static string MessagesDir(TempStore temp) => Path.Combine(temp.AccountDirectory(1), "messages");

    static string[] Files(TempStore temp) =>
        Directory.GetFiles(MessagesDir(temp), "*.eml", SearchOption.AllDirectories);

    static async Task<Dictionary<string, List<(string Subject, MessageFlags Flags, IReadOnlyList<string> Keywords)>>> ContentsAsync(IMailAccount account)
    {
        var result = new Dictionary<string, List<(string, MessageFlags, IReadOnlyList<string>)>>();
        foreach (var mailbox in await account.ListMailboxesAsync())
        {
            if (mailbox.NoSelect) continue;
            var list = new List<(string, MessageFlags, IReadOnlyList<string>)>();
            foreach (var m in await account.GetMessagesAsync(mailbox.Id))
            {
                var structure = await account.GetStructureAsync(mailbox.Id, m.Uid);
                list.Add((structure.Envelope.Subject ?? "", m.Flags, m.Keywords));
            }
            result[mailbox.Name] = list.OrderBy(x => x.Item1, StringComparer.Ordinal).ToList();
        }
        return result;
    }

    [Fact]
    public async Task Reconcile_after_crash_keeps_files_without_rows_drops_rows_without_files_and_removes_temp_files()
    {
        await using var temp = new TempStore();
        long archiveId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            await account.AppendAsync("INBOX", TempStore.Message("kept"), new AppendOptions());
            await account.AppendAsync("INBOX", TempStore.Message("file lost"), new AppendOptions());
            archiveId = (await account.GetMailboxAsync("Archive"))!.Id;
        }
        await temp.CrashAsync();
        // Crash 1: a message file renamed into place whose index commit never happened (id 50, first stored in Archive).
        var shard = Path.GetDirectoryName(Files(temp)[0])!;
        File.WriteAllText(Path.Combine(shard, $"50-{archiveId}.eml"), "Subject: orphan\r\nFrom: x@example.org\r\n\r\nsaved\r\n");
        // Crash 2: an append interrupted while writing its temporary file.
        File.WriteAllText(Path.Combine(temp.AccountDirectory(1), "tmp", "0123.tmp"), "Subject: half");
        // Crash 3 (or a person): the file of a committed message is gone.
        File.Delete(Files(temp).Single(f => File.ReadAllText(f).Contains("file lost")));

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var inbox = (await reopened.GetMailboxAsync("INBOX"))!;
        var messages = await reopened.GetMessagesAsync(inbox.Id);
        Assert.Equal([1L], messages.Select(m => m.Uid));
        Assert.Equal([2L], await reopened.GetExpungedSinceAsync(inbox.Id, 0));
        var archive = await reopened.GetMessagesAsync(archiveId);
        var orphan = Assert.Single(archive);
        Assert.Contains("saved", await TempStore.ReadAllAsync(reopened, archiveId, orphan.Uid));
        Assert.Equal("orphan", (await reopened.GetStructureAsync(archiveId, orphan.Uid)).Envelope.Subject);
        Assert.Empty(Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "tmp")));
        var quota = await reopened.GetQuotaAsync();
        Assert.Equal(2, quota.MessageCount);
        // The next append does not collide with the recovered file's id.
        var next = await reopened.AppendAsync("INBOX", TempStore.Message("after"), new AppendOptions());
        Assert.Equal(3, next.Uid);
        Assert.Equal(3, Files(temp).Length);
        var verify = await temp.Store.VerifyAsync(1, fix: false);
        Assert.True(verify.Clean, string.Join("; ", verify.Problems));
    }

    /// <summary>Leaves the disk as a crash in the middle of an append would: the message's file under its final name
    /// and its pending name in tmp/ (both names of one file, as the append makes them).</summary>
    static string LeavePendingName(TempStore temp, string path)
    {
        var pending = Path.Combine(temp.AccountDirectory(1), "tmp", Path.GetFileName(path) + ".pending");
        Assert.True(Tern.IO.Durable.TryHardLink(path, pending));
        return pending;
    }

    [Fact]
    public async Task An_append_interrupted_after_its_commit_with_its_file_whole_stays()
    {
        // The crash came after the commit and the file's data reached the disk, but before the pending name went.
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            await account.AppendAsync("INBOX", TempStore.Message("whole"), new AppendOptions());
        }
        await temp.CrashAsync();
        var pending = LeavePendingName(temp, Files(temp).Single());

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var message = Assert.Single(await reopened.GetMessagesAsync(inboxId));
        Assert.Contains("whole", await TempStore.ReadAllAsync(reopened, inboxId, message.Uid));
        Assert.False(File.Exists(pending));
        Assert.Single(Files(temp));
        Assert.Equal(1, (await reopened.GetQuotaAsync()).MessageCount);
    }

    [Theory]
    [InlineData(false)] // a crash: the next open checks every file
    [InlineData(true)]  // a clean stop after a file's fsync failed: the quick check still finds it
    public async Task An_append_interrupted_after_its_commit_with_its_file_short_is_expunged_and_its_file_removed(bool cleanStop)
    {
        // The commit reached the disk, the file's data did not (its fsync ran beside the commit): the file is short. The
        // append was never acknowledged, and a short message must not be served.
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            await account.AppendAsync("INBOX", TempStore.Message("stays"), new AppendOptions());
            await account.AppendAsync("INBOX", TempStore.Message("cut short"), new AppendOptions());
        }
        if (cleanStop)
            await temp.RestartAsync();
        else
            await temp.CrashAsync();
        var cut = Files(temp).Single(f => File.ReadAllText(f).Contains("cut short"));
        var pending = LeavePendingName(temp, cut);
        File.WriteAllText(cut, "Subject: cut"); // both names see it: one file

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        Assert.Equal([1L], (await reopened.GetMessagesAsync(inboxId)).Select(m => m.Uid));
        Assert.Equal([2L], await reopened.GetExpungedSinceAsync(inboxId, 0));
        Assert.False(File.Exists(cut));
        Assert.False(File.Exists(pending));
        var quota = await reopened.GetQuotaAsync();
        Assert.Equal(1, quota.MessageCount);
        Assert.Equal(new FileInfo(Files(temp).Single()).Length, quota.StorageUsedBytes);
        var verify = await temp.Store.VerifyAsync(1, fix: false);
        Assert.True(verify.Clean, string.Join("; ", verify.Problems));
    }

    [Fact]
    public async Task An_append_interrupted_before_its_commit_leaves_no_message_even_with_its_file_whole()
    {
        // Without the pending name a file without a row is kept (the test above this one); with it, the file belongs to
        // an append that was never acknowledged and may be short: it goes, and the client's retry stores the one copy.
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            await account.AppendAsync("INBOX", TempStore.Message("stays"), new AppendOptions());
        }
        await temp.CrashAsync();
        var shard = Path.GetDirectoryName(Files(temp)[0])!;
        var uncommitted = Path.Combine(shard, $"70-{inboxId}.eml");
        File.WriteAllText(uncommitted, "Subject: never committed\r\nFrom: x@example.org\r\n\r\nbody\r\n");
        var pending = LeavePendingName(temp, uncommitted);

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        Assert.Equal([1L], (await reopened.GetMessagesAsync(inboxId)).Select(m => m.Uid));
        Assert.False(File.Exists(uncommitted));
        Assert.False(File.Exists(pending));
        Assert.Equal(1, (await reopened.GetQuotaAsync()).MessageCount);
    }

    [Fact]
    public async Task After_appends_only_the_final_names_are_left_and_each_file_has_one_name()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions())));

        Assert.Equal(8, Files(temp).Length);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "tmp")), f => f.EndsWith(".pending", StringComparison.Ordinal));
        // One name: expunging a message frees its octets on disk.
        Assert.All(Files(temp), f => Assert.Equal(1, LinkCount(f)));
    }

    [Fact]
    public async Task Without_hard_links_appends_still_store_every_message_under_one_name()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        ((AccountHandle)account).Hub.HardLinks = false;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions())));

        var inbox = (await account.GetMailboxAsync("INBOX"))!.Id;
        Assert.Equal(4, (await account.GetMessagesAsync(inbox)).Count);
        Assert.All(Files(temp), f => Assert.Equal(1, LinkCount(f)));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "tmp")), f => f.EndsWith(".pending", StringComparison.Ordinal));
    }

    static int LinkCount(string path)
    {
        var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true })!;
        var output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_committed_append_whose_rename_never_reached_the_disk_is_expunged_and_its_temporary_file_removed()
    {
        // The shard folder's fsync runs beside the index commit: a crash between them can leave the row committed while
        // the file's final name never reached the disk. The append was never acknowledged, so it goes, cleanly.
        await using var temp = new TempStore();
        long inboxId;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            inboxId = (await account.GetMailboxAsync("INBOX"))!.Id;
            await account.AppendAsync("INBOX", TempStore.Message("stays"), new AppendOptions());
            await account.AppendAsync("INBOX", TempStore.Message("rename lost"), new AppendOptions());
        }
        await temp.CrashAsync();
        var lost = Files(temp).Single(f => File.ReadAllText(f).Contains("rename lost"));
        File.Move(lost, Path.Combine(temp.AccountDirectory(1), "tmp", Guid.NewGuid().ToString("N") + ".tmp"));

        await using var reopened = await temp.Store.OpenAccountAsync(1);
        Assert.Equal([1L], (await reopened.GetMessagesAsync(inboxId)).Select(m => m.Uid));
        Assert.Equal([2L], await reopened.GetExpungedSinceAsync(inboxId, 0));
        Assert.Empty(Directory.GetFiles(Path.Combine(temp.AccountDirectory(1), "tmp")));
        Assert.Equal(1, (await reopened.GetQuotaAsync()).MessageCount);
    }

    [Fact]
    public async Task Expunged_file_left_by_a_crash_is_deleted_not_resurrected()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            var r = await account.AppendAsync("INBOX", TempStore.Message("gone"), new AppendOptions(MessageFlags.Deleted));
            var path = Files(temp).Single();
            var keep = path + ".keep";
            File.Copy(path, keep);
            await account.ExpungeAsync(r.MailboxId);
            // Simulate a crash between the commit and the file deletion: put the file back, mark it pending again.
            File.Move(keep, path);
            using var connection = new SqliteConnection($"Data Source={Path.Combine(temp.AccountDirectory(1), "index.db")}");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO pending_deletes(message_id) VALUES (1)";
            command.ExecuteNonQuery();
        }
        await temp.RestartAsync();
        await using var reopened = await temp.Store.OpenAccountAsync(1);
        Assert.Empty(await reopened.GetMessagesAsync((await reopened.GetMailboxAsync("INBOX"))!.Id));
        Assert.Empty(Files(temp));
    }

    [Fact]
    public async Task Deleted_index_is_rebuilt_with_every_message_in_its_mailbox_and_flags_from_the_snapshot()
    {
        await using var temp = new TempStore();
        Dictionary<string, List<(string, MessageFlags, IReadOnlyList<string>)>> before;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            await account.CreateMailboxAsync("Projects/Tern");
            for (int i = 0; i < 5; i++)
                await account.AppendAsync("INBOX", TempStore.Message($"inbox {i}"), new AppendOptions(i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None, i == 1 ? ["$Important"] : null));
            await account.AppendAsync("Projects/Tern", TempStore.Message("project"), new AppendOptions(MessageFlags.Flagged));
            await account.AppendAsync("Sent", TempStore.Message("sent"), new AppendOptions(MessageFlags.Seen));
            var inbox = (await account.GetMailboxAsync("INBOX"))!;
            await account.CopyAsync(inbox.Id, UidSet.Of(1), "Trash");
            await account.MoveAsync(inbox.Id, UidSet.Of(2), "Archive");
            before = await ContentsAsync(account);
        }
        await temp.RestartAsync(); // the last session ended: the flag snapshot is written
        var indexPath = Path.Combine(temp.AccountDirectory(1), "index.db");
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(indexPath + suffix);

        var report = await temp.Store.ReindexAsync(1);
        Assert.Equal(8, report.Messages);
        Assert.False(report.KeptUids);
        await using var rebuilt = await temp.Store.OpenAccountAsync(1);
        var after = await ContentsAsync(rebuilt);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, list) in before)
        {
            Assert.Equal(list.Select(x => x.Item1), after[name].Select(x => x.Item1));
            Assert.Equal(list.Select(x => x.Item2), after[name].Select(x => x.Item2));
            Assert.Equal(list.Select(x => string.Join(' ', x.Item3)), after[name].Select(x => string.Join(' ', x.Item3)));
        }
        Assert.Equal(SpecialUse.Sent, (await rebuilt.GetMailboxAsync("Sent"))!.SpecialUse);
        Assert.Equal(8, (await rebuilt.GetQuotaAsync()).MessageCount);
        var again = await rebuilt.AppendAsync("INBOX", TempStore.Message("new"), new AppendOptions());
        Assert.Equal(5, again.Uid); // four left in INBOX, numbered 1..4 under a new UIDVALIDITY
    }

    [Fact]
    public async Task Index_rebuilt_without_any_snapshot_still_places_every_message()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            await account.CreateMailboxAsync("Lists");
            await account.AppendAsync("INBOX", TempStore.Message("one"), new AppendOptions());
            await account.AppendAsync("Lists", TempStore.Message("two"), new AppendOptions());
        }
        await temp.RestartAsync();
        var dir = temp.AccountDirectory(1);
        foreach (var name in new[] { "index.db", "index.db-wal", "index.db-shm", "flags.tsv" })
            File.Delete(Path.Combine(dir, name));
        // Opening finds no index and rebuilds it by itself.
        await using var account2 = await temp.Store.OpenAccountAsync(1);
        Assert.Single(await account2.GetMessagesAsync((await account2.GetMailboxAsync("INBOX"))!.Id));
        Assert.Single(await account2.GetMessagesAsync((await account2.GetMailboxAsync("Lists"))!.Id));
        await account2.DisposeAsync();

        await temp.RestartAsync();
        foreach (var name in new[] { "index.db", "index.db-wal", "index.db-shm", "flags.tsv", "mailboxes.tsv" })
            File.Delete(Path.Combine(dir, name));
        await temp.Store.ReindexAsync(1);
        await using var account3 = await temp.Store.OpenAccountAsync(1);
        var all = await account3.ListMailboxesAsync();
        Assert.Single(await account3.GetMessagesAsync(all.Single(m => m.Name == "INBOX").Id));
        // The mailbox name is lost with every record of it, the message is not.
        Assert.Single(await account3.GetMessagesAsync(all.Single(m => m.Name == "Recovered").Id));
    }

    [Fact]
    public async Task Corrupt_index_is_set_aside_and_rebuilt_on_open()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
            await account.AppendAsync("INBOX", TempStore.Message("survivor"), new AppendOptions(MessageFlags.Answered));
        await temp.RestartAsync();
        var indexPath = Path.Combine(temp.AccountDirectory(1), "index.db");
        foreach (var suffix in new[] { "-wal", "-shm" })
            File.Delete(indexPath + suffix);
        File.WriteAllBytes(indexPath, new byte[8192]); // not a database any more
        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var inbox = (await reopened.GetMailboxAsync("INBOX"))!;
        var m = Assert.Single(await reopened.GetMessagesAsync(inbox.Id));
        Assert.Equal(MessageFlags.Answered, m.Flags);
        Assert.Single(Directory.GetFiles(temp.AccountDirectory(1), "index.db.old-*"));
    }

    [Fact]
    public async Task Reindex_of_a_readable_index_keeps_uids_and_uidvalidity()
    {
        await using var temp = new TempStore();
        MailboxInfo inbox;
        await using (var account = await temp.Store.OpenAccountAsync(1))
        {
            for (int i = 0; i < 3; i++)
                await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
            var info = (await account.GetMailboxAsync("INBOX"))!;
            await account.StoreFlagsAsync(info.Id, UidSet.Of(2), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
            await account.ExpungeAsync(info.Id);
            inbox = (await account.GetMailboxAsync("INBOX"))!;
        }
        var report = await temp.Store.ReindexAsync(1);
        Assert.True(report.KeptUids);
        await using var rebuilt = await temp.Store.OpenAccountAsync(1);
        var after = (await rebuilt.GetMailboxAsync("INBOX"))!;
        Assert.Equal(inbox.UidValidity, after.UidValidity);
        Assert.Equal(inbox.UidNext, after.UidNext);
        Assert.Equal([1L, 3L], (await rebuilt.GetMessagesAsync(after.Id)).Select(m => m.Uid));
        Assert.Equal([2L], await rebuilt.GetExpungedSinceAsync(after.Id, 0));
    }

    [Fact]
    public async Task File_of_an_uncommitted_append_is_recovered_even_after_a_clean_marker()
    {
        await using var temp = new TempStore();
        await using (var account = await temp.Store.OpenAccountAsync(1))
            await account.AppendAsync("INBOX", TempStore.Message("committed"), new AppendOptions());
        await temp.RestartAsync(); // clean shutdown marker present
        var shard = Path.GetDirectoryName(Files(temp)[0])!;
        File.WriteAllText(Path.Combine(shard, "2-1.eml"), "Subject: uncommitted\r\n\r\nbody\r\n");
        await using var reopened = await temp.Store.OpenAccountAsync(1);
        var inbox = (await reopened.GetMailboxAsync("INBOX"))!;
        Assert.Equal(2, (await reopened.GetMessagesAsync(inbox.Id)).Count);
        Assert.Equal(3, (await reopened.AppendAsync("INBOX", TempStore.Message("next"), new AppendOptions())).Uid);
    }
}

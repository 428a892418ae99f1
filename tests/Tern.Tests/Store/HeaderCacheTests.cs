using System.Text;
using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Tests.Store;

/// <summary>The top-level headers served from memory (<see cref="HeaderCache"/>, <see cref="IMailAccount.GetHeadersAsync"/>),
/// SEARCH by system flags in the index, and listings of scattered UIDs.</summary>
public sealed class HeaderCacheTests
{
    static async Task<byte[]> HeaderFromFileAsync(IMailAccount account, long mailboxId, long uid)
    {
        var structure = await account.GetStructureAsync(mailboxId, uid);
        await using var stream = await account.OpenMessageAsync(mailboxId, uid);
        var header = new byte[structure.Body.HeaderLength];
        await stream.ReadExactlyAsync(header);
        return header;
    }

    [Fact]
    public async Task Headers_are_the_files_header_octets_before_and_after_they_are_cached()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var a = await account.AppendAsync("INBOX", TempStore.Message("first", extraHeaders: "X-Folded: one\r\n two\r\n"), new AppendOptions());
        var b = await account.AppendAsync("INBOX", new MemoryStream(Encoding.ASCII.GetBytes("Subject: no body")), new AppendOptions());
        var inbox = a.MailboxId;

        var cold = await account.GetHeadersAsync(inbox, UidSet.Range(1, long.MaxValue));
        Assert.Equal([a.Uid, b.Uid], cold.Keys.Order());
        Assert.Equal(2, temp.Store.HeaderCache.Count);
        var warm = await account.GetHeadersAsync(inbox, UidSet.Of(a.Uid, b.Uid));
        foreach (var uid in new[] { a.Uid, b.Uid })
        {
            var file = await HeaderFromFileAsync(account, inbox, uid);
            Assert.Equal(file, cold[uid].ToArray());
            Assert.Equal(file, warm[uid].ToArray());
        }
        Assert.EndsWith("two\r\n\r\n", Encoding.ASCII.GetString(warm[a.Uid].Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copies_share_the_cached_header_and_expunging_the_last_copy_forgets_it()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var a = await account.AppendAsync("INBOX", TempStore.Message("copied"), new AppendOptions());
        var inbox = a.MailboxId;
        var original = (await account.GetHeadersAsync(inbox, UidSet.Of(a.Uid)))[a.Uid].ToArray();
        var copy = await account.CopyAsync(inbox, UidSet.Of(a.Uid), "Archive");
        var moved = await account.MoveAsync(inbox, UidSet.Of(a.Uid), "Trash");
        Assert.Equal(original, (await account.GetHeadersAsync(copy.DestinationMailboxId, UidSet.Of(copy.DestinationUids[0])))[copy.DestinationUids[0]].ToArray());
        Assert.Equal(original, (await account.GetHeadersAsync(moved.DestinationMailboxId, UidSet.Of(moved.DestinationUids[0])))[moved.DestinationUids[0]].ToArray());
        Assert.Empty(await account.GetHeadersAsync(inbox, UidSet.Of(a.Uid))); // moved away
        Assert.Equal(1, temp.Store.HeaderCache.Count); // one file, one entry

        // Expunging one copy keeps the file (and its entry); expunging the last one deletes both.
        await account.StoreFlagsAsync(copy.DestinationMailboxId, UidSet.Of(copy.DestinationUids[0]), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(copy.DestinationMailboxId);
        Assert.Equal(1, temp.Store.HeaderCache.Count);
        await account.StoreFlagsAsync(moved.DestinationMailboxId, UidSet.Of(moved.DestinationUids[0]), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(moved.DestinationMailboxId);
        Assert.Equal(0, temp.Store.HeaderCache.Count);
        Assert.Equal(0, temp.Store.HeaderCache.UsedBytes);
        Assert.Empty(await account.GetHeadersAsync(moved.DestinationMailboxId, UidSet.Of(moved.DestinationUids[0])));

        // A new message gets a new file and its own header.
        var c = await account.AppendAsync("INBOX", TempStore.Message("after"), new AppendOptions());
        var header = Encoding.ASCII.GetString((await account.GetHeadersAsync(inbox, UidSet.Of(c.Uid)))[c.Uid].Span);
        Assert.Contains("Subject: after\r\n", header, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_of_an_indexed_message_is_reported_as_corrupt()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var a = await account.AppendAsync("INBOX", TempStore.Message("lost"), new AppendOptions());
        foreach (var file in Directory.EnumerateFiles(Path.Combine(temp.AccountDirectory(1), "messages"), "*", SearchOption.AllDirectories))
            File.Delete(file);
        var error = await Assert.ThrowsAsync<MailStoreException>(() => account.GetHeadersAsync(a.MailboxId, UidSet.Of(a.Uid)));
        Assert.Equal(MailStoreError.Corrupt, error.Error);
    }

    [Fact]
    public void The_cache_stays_within_its_budget_and_drops_the_least_recently_used()
    {
        var cache = new HeaderCache(4 * (100 + HeaderCache.EntryOverhead));
        long scope = HeaderCache.NewScope(), other = HeaderCache.NewScope();
        for (int id = 1; id <= 4; id++)
            cache.Add(scope, id, new byte[100]);
        Assert.Equal(4, cache.Count);
        Assert.True(cache.TryGet(scope, 1, out _)); // 1 is now the most recently used
        cache.Add(scope, 5, new byte[100]);
        Assert.True(cache.UsedBytes <= cache.BudgetBytes);
        Assert.False(cache.TryGet(scope, 2, out _)); // the least recently used went
        Assert.True(cache.TryGet(scope, 1, out _));
        Assert.False(cache.TryGet(other, 1, out _)); // scopes do not share entries

        cache.Add(scope, 6, new byte[cache.BudgetBytes]); // larger than an entry may be: not kept
        Assert.False(cache.TryGet(scope, 6, out _));
        cache.Remove(scope, 1);
        Assert.False(cache.TryGet(scope, 1, out _));
        cache.RemoveScope(scope);
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.UsedBytes);

        var off = new HeaderCache(0);
        off.Add(scope, 1, new byte[10]);
        Assert.Equal(0, off.Count);
    }

    [Fact]
    public async Task Search_by_system_flags_matches_the_listing()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        long inbox = 0;
        for (int i = 1; i <= 12; i++)
        {
            var flags = (i % 2 == 0 ? MessageFlags.Flagged : 0) | (i % 3 == 0 ? MessageFlags.Seen : 0) | (i % 5 == 0 ? MessageFlags.Deleted : 0);
            inbox = (await account.AppendAsync("INBOX", TempStore.Message("m" + i), new AppendOptions(flags))).MailboxId;
        }
        var all = await account.GetMessagesAsync(inbox);
        (MessageFlags Required, MessageFlags Excluded)[] cases =
        [
            (MessageFlags.Flagged, 0), (0, MessageFlags.Seen), (MessageFlags.Flagged | MessageFlags.Seen, MessageFlags.Deleted), (0, 0),
        ];
        foreach (var (required, excluded) in cases)
        {
            var expected = all.Where(m => (m.Flags & required) == required && (m.Flags & excluded) == 0).Select(m => new UidModSeq(m.Uid, m.ModSeq));
            Assert.Equal(expected, await account.SearchFlagsAsync(inbox, required, excluded));
        }
        var missing = await Assert.ThrowsAsync<MailStoreException>(() => account.SearchFlagsAsync(9999, MessageFlags.Seen, 0));
        Assert.Equal(MailStoreError.NotFound, missing.Error);
    }

    [Fact]
    public async Task Listing_scattered_uids_returns_exactly_those_messages()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        var uids = await ((AccountHandle)account).BulkAppendAsync("INBOX",
            Enumerable.Range(1, 100).Select(i => (Encoding.ASCII.GetBytes($"Subject: s{i}\r\n\r\nbody\r\n"), new AppendOptions())), 50, CancellationToken.None);
        var inbox = (await account.GetMailboxAsync("INBOX"))!.Id;
        var wanted = uids.Where(u => u % 3 == 0 || u == 1).ToList(); // far more ranges than one statement per range is worth
        var listed = await account.GetMessagesAsync(inbox, UidSet.FromSorted(wanted));
        Assert.Equal(wanted, listed.Select(m => m.Uid));
        var sparse = new List<long> { uids[0], uids[^1] };
        Assert.Equal(sparse, (await account.GetMessagesAsync(inbox, UidSet.FromSorted(sparse))).Select(m => m.Uid));
    }
}

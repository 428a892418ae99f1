using System.Text;
using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Tests.Store;

/// <summary>What SELECT reads of a mailbox (AccountHub.View.cs): the UIDs (kept in memory for big mailboxes), the
/// keywords in use and the first unseen message, always as the mailbox is now, whoever changed it.</summary>
public sealed class MailboxViewTests
{
    static IEnumerable<(byte[], AppendOptions)> Messages(int count, MessageFlags flags = MessageFlags.None) =>
        Enumerable.Range(1, count).Select(i => (Encoding.ASCII.GetBytes($"Subject: s{i}\r\n\r\nbody\r\n"), new AppendOptions(flags, null, null)));

    [Fact]
    public async Task The_kept_uids_of_a_big_mailbox_follow_appends_expunges_and_moves_of_other_sessions()
    {
        await using var temp = new TempStore();
        await using var session = (AccountHandle)await temp.Store.OpenAccountAsync(1);
        await using var other = await temp.Store.OpenAccountAsync(1); // another IMAP session, or delivery
        int count = AccountHub.UidCacheMinimum + 10;
        await session.BulkAppendAsync("INBOX", Messages(count), 500, CancellationToken.None);
        var inbox = (await session.GetMailboxAsync("INBOX"))!.Id;
        var expected = Enumerable.Range(1, count).Select(i => (long)i).ToList();

        Assert.Equal(expected, (await session.GetMailboxViewAsync(inbox)).Uids);
        Assert.Equal(count, session.Hub.UidCacheCount);
        // Flag changes leave the UIDs as they are.
        await other.StoreFlagsAsync(inbox, UidSet.Range(1, 100), new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        Assert.Equal(expected, (await session.GetMailboxViewAsync(inbox)).Uids);

        await other.AppendAsync("INBOX", TempStore.Message("new"), new AppendOptions());
        expected.Add(count + 1);
        Assert.Equal(expected, (await session.GetMailboxViewAsync(inbox)).Uids);

        // From the middle, with an append in the same interval: the count is the same as before.
        await other.StoreFlagsAsync(inbox, UidSet.Range(5, 5), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await other.ExpungeAsync(inbox);
        await other.AppendAsync("INBOX", TempStore.Message("newer"), new AppendOptions());
        expected.Remove(5);
        expected.Add(count + 2);
        Assert.Equal(expected, (await session.GetMailboxViewAsync(inbox)).Uids);

        // Moved out, the highest UID among them.
        await other.MoveAsync(inbox, UidSet.Range(count + 2, count + 2), "Archive");
        await other.MoveAsync(inbox, UidSet.Range(7, 9), "Archive");
        expected.RemoveAll(u => u == count + 2 || u is >= 7 and <= 9);
        Assert.Equal(expected, (await session.GetMailboxViewAsync(inbox)).Uids);

        // Everything gone.
        await other.StoreFlagsAsync(inbox, UidSet.Range(1, long.MaxValue), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await other.ExpungeAsync(inbox);
        Assert.Empty((await session.GetMailboxViewAsync(inbox)).Uids);
    }

    [Fact]
    public async Task Keywords_are_those_in_use_now()
    {
        await using var temp = new TempStore();
        await using var account = await temp.Store.OpenAccountAsync(1);
        for (int i = 0; i < 3; i++)
            await account.AppendAsync("INBOX", TempStore.Message($"m{i}"), new AppendOptions());
        var inbox = (await account.GetMailboxAsync("INBOX"))!.Id;
        Assert.Empty((await account.GetMailboxViewAsync(inbox)).Keywords);

        await account.StoreFlagsAsync(inbox, UidSet.Range(1, 1), new FlagChange(FlagOperation.Add, MessageFlags.None, ["$Work", "Later"]));
        await account.StoreFlagsAsync(inbox, UidSet.Range(3, 3), new FlagChange(FlagOperation.Add, MessageFlags.None, ["$Work"]));
        Assert.Equal(["$Work", "Later"], (await account.GetMailboxViewAsync(inbox)).Keywords);

        await account.StoreFlagsAsync(inbox, UidSet.Range(1, 1), new FlagChange(FlagOperation.Remove, MessageFlags.None, ["Later"]));
        Assert.Equal(["$Work"], (await account.GetMailboxViewAsync(inbox)).Keywords);
    }

    [Fact]
    public async Task The_first_unseen_message_follows_seen_changes_and_is_none_when_all_are_seen()
    {
        await using var temp = new TempStore();
        await using var account = (AccountHandle)await temp.Store.OpenAccountAsync(1);
        await account.BulkAppendAsync("INBOX", Messages(50, MessageFlags.Seen), 50, CancellationToken.None);
        var inbox = (await account.GetMailboxAsync("INBOX"))!.Id;
        Assert.Null((await account.GetMailboxViewAsync(inbox)).FirstUnseenUid);

        await account.StoreFlagsAsync(inbox, UidSet.Range(30, 31), new FlagChange(FlagOperation.Remove, MessageFlags.Seen, []));
        Assert.Equal(30, (await account.GetMailboxViewAsync(inbox)).FirstUnseenUid);
        // Other flags beside \Seen do not hide an unseen message.
        await account.StoreFlagsAsync(inbox, UidSet.Range(30, 30), new FlagChange(FlagOperation.Add, MessageFlags.Flagged | MessageFlags.Answered, []));
        Assert.Equal(30, (await account.GetMailboxViewAsync(inbox)).FirstUnseenUid);
        await account.StoreFlagsAsync(inbox, UidSet.Range(30, 30), new FlagChange(FlagOperation.Replace, MessageFlags.Seen, []));
        Assert.Equal(31, (await account.GetMailboxViewAsync(inbox)).FirstUnseenUid);
        await account.AppendAsync("INBOX", TempStore.Message("new"), new AppendOptions());
        await account.StoreFlagsAsync(inbox, UidSet.Range(31, 31), new FlagChange(FlagOperation.Add, MessageFlags.Seen, []));
        Assert.Equal(51, (await account.GetMailboxViewAsync(inbox)).FirstUnseenUid);
    }

    [Fact]
    public async Task Changes_since_a_modseq_come_in_uid_order_whatever_order_they_were_made_in()
    {
        await using var temp = new TempStore();
        await using var account = (AccountHandle)await temp.Store.OpenAccountAsync(1);
        await account.BulkAppendAsync("INBOX", Messages(20), 20, CancellationToken.None);
        var inbox = await account.GetMailboxAsync("INBOX");
        foreach (long uid in new long[] { 17, 3, 11 })
            await account.StoreFlagsAsync(inbox!.Id, UidSet.Range(uid, uid), new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
        Assert.Equal([3L, 11L, 17L], (await account.GetChangedSinceAsync(inbox!.Id, inbox.HighestModSeq)).Select(m => m.Uid));
        foreach (long uid in new long[] { 19, 2 })
            await account.StoreFlagsAsync(inbox.Id, UidSet.Range(uid, uid), new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []));
        await account.ExpungeAsync(inbox.Id, UidSet.Range(19, 19));
        await account.ExpungeAsync(inbox.Id, UidSet.Range(2, 2));
        Assert.Equal([2L, 19L], await account.GetExpungedSinceAsync(inbox.Id, inbox.HighestModSeq));
    }
}

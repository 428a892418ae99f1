using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>What SELECT needs of a mailbox (RFC 9051 6.3.2): its UIDs, the keywords in use, the first unseen message.
/// The UIDs of big mailboxes are kept in memory between SELECTs: reading 100,000 of them costs about 25 ms, checking
/// that the kept ones are still right three index lookups; the keywords and the first unseen come from partial indexes.</summary>
internal sealed partial class AccountHub
{
    /// <summary>UIDs kept at most in the whole process, over every account (8 octets each: 8 MB).</summary>
    internal const int UidCacheMessages = 1_000_000;

    /// <summary>Below this, a mailbox's UIDs are read each time: that is as quick as the check of kept ones.</summary>
    internal const int UidCacheMinimum = 2_000;

    static readonly KeptMailboxRows<long> UidCache = new(mailboxesPerAccount: 4, UidCacheMessages, TimeSpan.FromMinutes(15), uid => uid);

    /// <summary>Number of this account's UIDs kept in memory (for tests and diagnostics).</summary>
    internal int UidCacheCount => UidCache.CountOf(this);

    public Task<MailboxView> GetMailboxViewAsync(long mailboxId, CancellationToken cancellationToken)
    {
        using var connection = OpenRead();
        // One read transaction: the three answers describe the same moment.
        using var tx = connection.BeginTransaction(deferred: true);
        var mailbox = RequireMailbox(connection, tx, mailboxId);
        IReadOnlyList<long> uids;
        if (mailbox.UidNext - 1 < UidCacheMinimum)
        {
            long none = long.MaxValue;
            uids = ReadUids(tx, mailboxId, 0, ref none);
        }
        else
        {
            uids = UidCache.Get(this, tx, mailboxId, ReadUids) ?? [];
        }
        var keywords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var command = Cmd(connection, tx, "SELECT DISTINCT keywords FROM mailbox_messages WHERE mailbox_id = $m AND keywords IS NOT NULL", ("$m", mailboxId)))
        using (var r = command.ExecuteReader())
        {
            while (r.Read())
                keywords.UnionWith(SplitKeywords(r.GetString(0)));
        }
        long? firstUnseen;
        // Named: without statistics SQLite prefers the primary key, which walks every seen message before the first unseen.
        using (var command = Cmd(connection, tx, $"SELECT min(uid) FROM mailbox_messages INDEXED BY mailbox_messages_unseen WHERE mailbox_id = $m AND {IndexDatabase.UnseenCondition}", ("$m", mailboxId)))
            firstUnseen = command.ExecuteScalar() is long u ? u : null;
        return Task.FromResult(new MailboxView(uids, keywords.Order(StringComparer.Ordinal).ToList(), firstUnseen));
    }

    static List<long> ReadUids(SqliteTransaction tx, long mailboxId, long afterUid, ref long incompleteFrom)
    {
        using var command = tx.Command("SELECT uid FROM mailbox_messages WHERE mailbox_id = $m AND uid > $u ORDER BY uid", ("$m", mailboxId), ("$u", afterUid));
        using var r = command.ExecuteReader();
        var uids = new List<long>();
        while (r.Read())
            uids.Add(r.GetInt64(0));
        return uids;
    }
}

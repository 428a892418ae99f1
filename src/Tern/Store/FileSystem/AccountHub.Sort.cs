using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>SORT and THREAD data (RFC 5256) of whole mailboxes, kept in memory between commands: reading 100,000 rows
/// of the index for every SORT costs about a second, keeping them costs roughly 300 octets a message (28 MB for
/// 100,000), within a bound for the whole process.</summary>
/// <remarks>A message's sort data never changes, so the kept rows follow the mailbox as <see cref="KeptMailboxRows{T}"/>
/// describes.</remarks>
internal sealed partial class AccountHub
{
    /// <summary>Mailboxes kept at most per account.</summary>
    internal const int SortCacheMailboxes = 4;

    /// <summary>Messages kept at most in the whole process, over every account (about 30 MB a 100,000), least recently
    /// sorted out first.</summary>
    internal const int SortCacheMessages = 400_000;

    static readonly KeptMailboxRows<MessageSortData> SortCache =
        new(SortCacheMailboxes, SortCacheMessages, TimeSpan.FromMinutes(15), d => d.Uid);

    /// <summary>Number of this account's messages whose sort data is kept in memory (for tests and diagnostics).</summary>
    internal int SortCacheCount => SortCache.CountOf(this);

    public async Task<IReadOnlyList<MessageSortData>> GetSortDataAsync(long mailboxId, CancellationToken cancellationToken)
    {
        await EnsureTextIndexedAsync(mailboxId, cancellationToken).ConfigureAwait(false);
        using var connection = OpenRead();
        // One snapshot for the check and the reads, so that the kept rows and the stamp they are kept under agree.
        using var tx = connection.BeginTransaction(deferred: true);
        // A message whose text row is not written yet (appended a moment ago, or found by reconcile) reads as empty:
        // it is not kept so.
        return SortCache.Get(this, tx, mailboxId, ReadSortData) ?? [];
    }

    /// <summary>Sort data of the messages above <paramref name="afterUid"/>, in UID order.</summary>
    static List<MessageSortData> ReadSortData(SqliteTransaction tx, long mailboxId, long afterUid, ref long unindexed)
    {
        using var command = tx.Command("""
            SELECT mm.uid, mm.size, mm.internaldate, mm.tz, t.sent_date, t.subject,
                t.from_name, t.from_mailbox, t.from_host, t.to_name, t.to_mailbox, t.to_host, t.cc_name, t.cc_mailbox, t.cc_host,
                t.msgid, t.in_reply_to, t.refs, t.message_id
            FROM mailbox_messages mm LEFT JOIN message_meta t ON t.message_id = mm.message_id
            WHERE mm.mailbox_id = $m AND mm.uid > $u ORDER BY mm.uid
            """, ("$m", mailboxId), ("$u", afterUid));
        using var r = command.ExecuteReader();
        var list = new List<MessageSortData>();
        // Correspondents and their domains repeat from message to message: one string and one address object for each.
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        var addresses = new Dictionary<(string?, string?, string?), EnvelopeAddress>();
        var offsets = new Dictionary<int, TimeSpan>();
        string? Shared(int i)
        {
            if (r.IsDBNull(i))
                return null;
            var s = r.GetString(i);
            if (strings.TryGetValue(s, out var known))
                return known;
            return strings[s] = s;
        }
        EnvelopeAddress? Address(int i)
        {
            if (r.IsDBNull(i + 1))
                return null;
            var key = (Shared(i), Shared(i + 1), Shared(i + 2));
            if (!addresses.TryGetValue(key, out var address))
                addresses[key] = address = new EnvelopeAddress(key.Item1, null, key.Item2, key.Item3);
            return address;
        }
        while (r.Read())
        {
            if (r.IsDBNull(18))
                unindexed = Math.Min(unindexed, r.GetInt64(0));
            int tz = r.GetInt32(3);
            if (!offsets.TryGetValue(tz, out var offset))
                offsets[tz] = offset = TimeSpan.FromMinutes(tz);
            var refs = r.IsDBNull(17) ? null : r.GetString(17);
            list.Add(new MessageSortData(
                r.GetInt64(0), r.GetInt64(1),
                DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(2)).ToOffset(offset),
                r.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4)),
                r.IsDBNull(5) ? null : r.GetString(5), Address(6), Address(9), Address(12),
                r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16),
                string.IsNullOrEmpty(refs) ? [] : refs.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        }
        return list;
    }
}

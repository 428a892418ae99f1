using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>SORT and THREAD data (RFC 5256) of whole mailboxes, kept in memory between commands: reading 100,000 rows
/// of the index for every SORT costs about a second, keeping them costs roughly 300 octets a message.</summary>
/// <remarks>A message's sort data never changes (its file is immutable, its UID is never given to another message
/// while the UIDVALIDITY lasts), so a kept mailbox only grows by the messages appended since and shrinks by those
/// expunged since. Each call checks, in one read snapshot, the mailbox's UIDVALIDITY, message count and highest UID;
/// when they changed it reads only the rows above the kept highest UID and drops the UIDs the expunge log (RFC 7162's
/// VANISHED record) lists since the kept MODSEQ, and reads everything again when the counts still disagree. So every
/// session, delivery and other process writing the index is seen, with no hook in the write paths.</remarks>
internal sealed partial class AccountHub
{
    /// <summary>Mailboxes kept at most per account, and messages kept at most over all of them (least recently
    /// sorted first out).</summary>
    internal const int SortCacheMailboxes = 4, SortCacheMessages = 400_000;

    sealed class SortCacheEntry(uint uidValidity, long modSeq, long maxUid, MessageSortData[] items)
    {
        public uint UidValidity { get; } = uidValidity;
        public long ModSeq { get; } = modSeq;
        public long MaxUid { get; } = maxUid;
        public MessageSortData[] Items { get; } = items;
        public IReadOnlyList<MessageSortData> View { get; } = Array.AsReadOnly(items);
        public long LastUsed { get; set; }
    }

    readonly Dictionary<long, SortCacheEntry> sortCache = [];
    long sortCacheClock;

    /// <summary>Number of messages whose sort data is kept in memory (for tests and diagnostics).</summary>
    internal int SortCacheCount
    {
        get
        {
            lock (sortCache)
                return sortCache.Values.Sum(e => e.Items.Length);
        }
    }

    public async Task<IReadOnlyList<MessageSortData>> GetSortDataAsync(long mailboxId, CancellationToken cancellationToken)
    {
        await EnsureTextIndexedAsync(mailboxId, cancellationToken).ConfigureAwait(false);
        using var connection = OpenRead();
        // One snapshot for the check and the reads, so that the kept rows and the stamp they are kept under agree.
        using var tx = connection.BeginTransaction(deferred: true);
        uint uidValidity;
        long count, maxUid, modSeq;
        using (var stamp = tx.Command("""
            SELECT (SELECT uidvalidity FROM mailboxes WHERE id = $m), count(*), coalesce(max(uid), 0),
                (SELECT value FROM meta WHERE key = 'modseq')
            FROM mailbox_messages WHERE mailbox_id = $m
            """, ("$m", mailboxId)))
        using (var r = stamp.ExecuteReader())
        {
            r.Read();
            if (r.IsDBNull(0))
                return [];
            uidValidity = (uint)r.GetInt64(0);
            count = r.GetInt64(1);
            maxUid = r.GetInt64(2);
            modSeq = r.GetInt64(3);
        }
        SortCacheEntry? kept;
        lock (sortCache)
        {
            if (sortCache.TryGetValue(mailboxId, out kept))
                kept.LastUsed = ++sortCacheClock;
        }
        if (kept is not null && kept.UidValidity == uidValidity && kept.MaxUid == maxUid && kept.Items.Length == count)
            return kept.View; // nothing appended (the highest UID would be higher) and nothing expunged (fewer messages)

        MessageSortData[]? items = null;
        bool complete = true;
        if (kept is not null && kept.UidValidity == uidValidity && maxUid >= kept.MaxUid)
            items = Update(tx, mailboxId, kept, count, ref complete);
        items ??= Read(tx, mailboxId, 0, ref complete).ToArray();
        // A message without its index row yet (reconcile found its file) reads as empty; it is not kept that way.
        if (!complete)
            return Array.AsReadOnly(items);
        var entry = new SortCacheEntry(uidValidity, modSeq, maxUid, items);
        Keep(mailboxId, entry);
        return entry.View;
    }

    /// <summary>The kept rows minus the expunged, plus the appended; null when that does not add up to the mailbox.</summary>
    static MessageSortData[]? Update(SqliteTransaction tx, long mailboxId, SortCacheEntry kept, long count, ref bool complete)
    {
        var gone = new HashSet<long>();
        using (var command = tx.Command("SELECT uid FROM expunged WHERE mailbox_id = $m AND modseq > $s AND uid <= $u",
            ("$m", mailboxId), ("$s", kept.ModSeq), ("$u", kept.MaxUid)))
        using (var r = command.ExecuteReader())
        {
            while (r.Read()) gone.Add(r.GetInt64(0));
        }
        var added = Read(tx, mailboxId, kept.MaxUid, ref complete);
        var items = new List<MessageSortData>(kept.Items.Length - gone.Count + added.Count);
        foreach (var item in kept.Items)
        {
            if (!gone.Contains(item.Uid))
                items.Add(item);
        }
        items.AddRange(added);
        return items.Count == count ? [.. items] : null;
    }

    /// <summary>Sort data of the messages above <paramref name="afterUid"/>, in UID order.</summary>
    static List<MessageSortData> Read(SqliteTransaction tx, long mailboxId, long afterUid, ref bool complete)
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
            complete &= !r.IsDBNull(18);
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

    void Keep(long mailboxId, SortCacheEntry entry)
    {
        lock (sortCache)
        {
            entry.LastUsed = ++sortCacheClock;
            sortCache[mailboxId] = entry;
            // Least recently sorted out first, never the one just read (a single huge mailbox is kept alone).
            while (sortCache.Count > SortCacheMailboxes || (sortCache.Count > 1 && sortCache.Values.Sum(e => (long)e.Items.Length) > SortCacheMessages))
            {
                var oldest = sortCache.Where(p => p.Key != mailboxId).MinBy(p => p.Value.LastUsed);
                sortCache.Remove(oldest.Key);
            }
        }
    }
}

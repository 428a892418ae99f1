using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Per-message rows of whole mailboxes (one item per UID, in UID order) kept in memory between commands, for
/// the reads that would otherwise go over every message of a big mailbox each time: SORT's data, SELECT's UID list.
/// Bounded for the whole process, least recently used out first.</summary>
/// <remarks>A kept item must never change while its UID lasts (the message file is immutable and a UID is never given
/// to another message while the UIDVALIDITY lasts), so a kept mailbox only grows by the messages appended since and
/// shrinks by those expunged since. Each call checks, in the caller's read snapshot, the mailbox's UIDVALIDITY, highest
/// UID and last expunge; when they changed it reads only the rows above the kept highest UID and drops the UIDs the
/// expunge log (RFC 7162's VANISHED record) lists since the kept MODSEQ, and reads everything again when the result
/// does not have the mailbox's message count. So every session, delivery and other process writing the index is seen,
/// with no hook in the write paths.</remarks>
/// <param name="mailboxesPerAccount">Mailboxes kept at most per account.</param>
/// <param name="maxItems">Items kept at most over every account: hubs stay open while the server runs, so the bound
/// cannot be per account.</param>
/// <param name="idle">A kept mailbox not asked for this long is dropped at the next keep of any.</param>
internal sealed class KeptMailboxRows<T>(int mailboxesPerAccount, long maxItems, TimeSpan idle, Func<T, long> uidOf)
{
    /// <summary>Reads the items of the messages above <paramref name="afterUid"/>, in UID order; sets
    /// <paramref name="incompleteFrom"/> to the lowest UID whose item could not be read whole yet (its row is written
    /// later), which is then not kept.</summary>
    public delegate List<T> ReadAfter(SqliteTransaction tx, long mailboxId, long afterUid, ref long incompleteFrom);

    /// <param name="modSeq">The account's MODSEQ when read: expunges after it are not in the items.</param>
    /// <param name="lastExpunge">The MODSEQ of the mailbox's last expunge when read.</param>
    sealed class Entry(uint uidValidity, long modSeq, long lastExpunge, long maxUid, T[] items)
    {
        public uint UidValidity { get; } = uidValidity;
        public long ModSeq { get; } = modSeq;
        public long LastExpunge { get; } = lastExpunge;
        public long MaxUid { get; } = maxUid;
        public T[] Items { get; } = items;
        public IReadOnlyList<T> View { get; } = Array.AsReadOnly(items);
        public long LastUsed { get; set; } = Environment.TickCount64;
    }

    readonly Dictionary<(AccountHub Hub, long MailboxId), Entry> entries = [];

    /// <summary>Number of one account's items kept (for tests and diagnostics).</summary>
    public int CountOf(AccountHub hub)
    {
        lock (entries)
            return entries.Where(p => p.Key.Hub == hub).Sum(p => p.Value.Items.Length);
    }

    /// <summary>The mailbox's items as of <paramref name="tx"/>'s snapshot; null when there is no such mailbox.</summary>
    public IReadOnlyList<T>? Get(AccountHub hub, SqliteTransaction tx, long mailboxId, ReadAfter read)
    {
        // Each of these is one index lookup: no walk over the mailbox's messages when nothing changed. Every path that
        // takes a message out of a mailbox records it in the expunge log (for RFC 7162 VANISHED), and every message
        // put in gets a UID above all others, so the highest UID and the last expunge say whether the UIDs changed.
        uint uidValidity;
        long maxUid, lastExpunge, modSeq;
        using (var stamp = tx.Command("""
            SELECT (SELECT uidvalidity FROM mailboxes WHERE id = $m),
                (SELECT coalesce(max(uid), 0) FROM mailbox_messages WHERE mailbox_id = $m),
                (SELECT coalesce(max(modseq), 0) FROM expunged WHERE mailbox_id = $m),
                (SELECT value FROM meta WHERE key = 'modseq')
            """, ("$m", mailboxId)))
        using (var r = stamp.ExecuteReader())
        {
            r.Read();
            if (r.IsDBNull(0))
                return null;
            uidValidity = (uint)r.GetInt64(0);
            maxUid = r.GetInt64(1);
            lastExpunge = r.GetInt64(2);
            modSeq = r.GetInt64(3);
        }
        Entry? kept;
        lock (entries)
        {
            if (entries.TryGetValue((hub, mailboxId), out kept))
                kept.LastUsed = Environment.TickCount64;
        }
        if (kept is not null && kept.UidValidity == uidValidity && kept.MaxUid == maxUid && kept.LastExpunge == lastExpunge)
            return kept.View;

        T[]? items = null;
        long incompleteFrom = long.MaxValue;
        if (kept is not null && kept.UidValidity == uidValidity && maxUid >= kept.MaxUid)
            items = Update(tx, mailboxId, kept, read, ref incompleteFrom);
        items ??= [.. read(tx, mailboxId, 0, ref incompleteFrom)];
        if (incompleteFrom == long.MaxValue)
        {
            var entry = new Entry(uidValidity, modSeq, lastExpunge, maxUid, items);
            Keep(hub, mailboxId, entry);
            return entry.View;
        }
        // What lies below the first incomplete item is kept; the next call reads on from there (the stamp cannot match).
        int below = 0;
        while (below < items.Length && uidOf(items[below]) < incompleteFrom) below++;
        if (below > 0)
            Keep(hub, mailboxId, new Entry(uidValidity, modSeq, lastExpunge, incompleteFrom - 1, items[..below]));
        return Array.AsReadOnly(items);
    }

    /// <summary>The kept items minus the expunged, plus the appended; null when that does not add up to the mailbox's
    /// message count (an index rebuilt under the server, say), so that everything is read again.</summary>
    T[]? Update(SqliteTransaction tx, long mailboxId, Entry kept, ReadAfter read, ref long incompleteFrom)
    {
        var gone = new HashSet<long>();
        using (var command = tx.Command("SELECT uid FROM expunged WHERE mailbox_id = $m AND modseq > $s AND uid <= $u",
            ("$m", mailboxId), ("$s", kept.ModSeq), ("$u", kept.MaxUid)))
        using (var r = command.ExecuteReader())
        {
            while (r.Read()) gone.Add(r.GetInt64(0));
        }
        var added = read(tx, mailboxId, kept.MaxUid, ref incompleteFrom);
        var items = new List<T>(kept.Items.Length - gone.Count + added.Count);
        foreach (var item in kept.Items)
        {
            if (!gone.Contains(uidOf(item)))
                items.Add(item);
        }
        items.AddRange(added);
        long count = tx.Scalar("SELECT count(*) FROM mailbox_messages WHERE mailbox_id = $m", ("$m", mailboxId));
        return items.Count == count ? [.. items] : null;
    }

    void Keep(AccountHub hub, long mailboxId, Entry entry)
    {
        lock (entries)
        {
            entries[(hub, mailboxId)] = entry;
            long now = Environment.TickCount64;
            foreach (var (key, kept) in entries.ToList())
            {
                if (key.Hub.IsDisposed || (kept != entry && now - kept.LastUsed > (long)idle.TotalMilliseconds))
                    entries.Remove(key);
            }
            // Least recently used out first, never the one just read (a single huge mailbox is kept alone).
            while (entries.Count > 1 && (entries.Count(p => p.Key.Hub == hub) > mailboxesPerAccount
                || entries.Values.Sum(e => (long)e.Items.Length) > maxItems))
            {
                bool mine = entries.Count(p => p.Key.Hub == hub) > mailboxesPerAccount;
                var oldest = entries.Where(p => p.Value != entry && (!mine || p.Key.Hub == hub)).MinBy(p => p.Value.LastUsed);
                if (oldest.Value is null)
                    break;
                entries.Remove(oldest.Key);
            }
        }
    }
}

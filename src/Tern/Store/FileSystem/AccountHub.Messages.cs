using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Message operations on the index: metadata, flags (CONDSTORE), copy and move (UIDPLUS), expunge (QRESYNC
/// records), content and structure, \Recent, quota.</summary>
internal sealed partial class AccountHub
{
    const string PlacementColumns = "uid, flags, keywords, modseq, size, internaldate, tz, savedate, message_id";

    internal sealed record Placement(long Uid, MessageFlags Flags, string? Keywords, long ModSeq, long Size, long InternalDate, int Tz, long SaveDate, long MessageId);

    static Placement ReadPlacement(SqliteDataReader r) => new(
        r.GetInt64(0), (MessageFlags)r.GetInt32(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetInt64(3), r.GetInt64(4),
        r.GetInt64(5), r.GetInt32(6), r.GetInt64(7), r.GetInt64(8));

    internal static MessageInfo ToInfo(Placement p) => new(
        p.Uid, p.Flags, SplitKeywords(p.Keywords), p.ModSeq, p.Size,
        DateTimeOffset.FromUnixTimeSeconds(p.InternalDate).ToOffset(TimeSpan.FromMinutes(p.Tz)),
        DateTimeOffset.FromUnixTimeSeconds(p.SaveDate),
        EmailId(p.MessageId));

    static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>RFC 8474 objectid: letters, digits, '-' and '_'; one per stored message file, shared by its copies.</summary>
    internal static string EmailId(long messageId) => "M" + messageId.ToString("x", CultureInfo.InvariantCulture);

    static IReadOnlyList<string> SplitKeywords(string? keywords) =>
        string.IsNullOrEmpty(keywords) ? [] : keywords.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    internal static string? JoinKeywords(IEnumerable<string>? keywords)
    {
        if (keywords is null) return null;
        var set = new List<string>();
        foreach (var k in keywords)
        {
            if (string.IsNullOrWhiteSpace(k) || k.Any(c => char.IsControl(c) || c == ' ')) continue;
            if (!set.Contains(k, StringComparer.OrdinalIgnoreCase)) set.Add(k);
        }
        return set.Count == 0 ? null : string.Join(' ', set);
    }

    /// <summary>Placements of a mailbox in UID order; all of them when <paramref name="uids"/> is null. A range ending in
    /// "*" runs to the highest UID, and "n:*" with n above it still means the highest (RFC 3501 6.4.8).</summary>
    internal static List<Placement> Placements(SqliteConnection connection, SqliteTransaction? tx, long mailboxId, UidSet? uids, string extraCondition = "")
    {
        var list = new List<Placement>();
        if (uids is null)
        {
            using var all = Cmd(connection, tx, $"SELECT {PlacementColumns} FROM mailbox_messages WHERE mailbox_id = $m {extraCondition} ORDER BY uid", ("$m", mailboxId));
            using var r = all.ExecuteReader();
            while (r.Read()) list.Add(ReadPlacement(r));
            return list;
        }
        long? maxUid = null;
        using var range = Cmd(connection, tx,
            $"SELECT {PlacementColumns} FROM mailbox_messages WHERE mailbox_id = $m AND uid BETWEEN $a AND $b {extraCondition} ORDER BY uid",
            ("$m", mailboxId), ("$a", 0L), ("$b", 0L));
        foreach (var (first, last) in uids.Ranges)
        {
            long a = first, b = last;
            if (b == long.MaxValue)
            {
                if (maxUid is null)
                {
                    using var max = Cmd(connection, tx, "SELECT max(uid) FROM mailbox_messages WHERE mailbox_id = $m", ("$m", mailboxId));
                    maxUid = max.ExecuteScalar() is long m ? m : 0;
                }
                a = Math.Min(a, maxUid.Value);
                b = maxUid.Value;
            }
            range.Parameters["$a"].Value = a;
            range.Parameters["$b"].Value = b;
            using var r = range.ExecuteReader();
            while (r.Read()) list.Add(ReadPlacement(r));
        }
        if (uids.Ranges.Count > 1)
        {
            // Ranges are disjoint, but "n:*" may overlap another range once "*" is resolved.
            list = list.DistinctBy(p => p.Uid).OrderBy(p => p.Uid).ToList();
        }
        return list;
    }

    static List<Placement> Placements(SqliteTransaction tx, long mailboxId, UidSet? uids, string extraCondition = "") =>
        Placements(tx.Connection!, tx, mailboxId, uids, extraCondition);

    /// <summary>Drops one reference to each placement's message file; the last reference deletes the row, queues the file
    /// for deletion after the commit, and the usage counters follow.</summary>
    static void DetachMessages(SqliteTransaction tx, WriteContext context, IReadOnlyList<Placement> placements)
    {
        if (placements.Count == 0) return;
        using var decrement = tx.Command("UPDATE messages SET refcount = refcount - 1 WHERE id = $id RETURNING refcount, origin_mailbox", ("$id", 0L));
        using var delete = tx.Command("DELETE FROM messages WHERE id = $id", ("$id", 0L));
        using var pending = tx.Command("INSERT OR IGNORE INTO pending_deletes(message_id) VALUES ($id)", ("$id", 0L));
        long bytes = 0;
        foreach (var p in placements)
        {
            bytes += p.Size;
            decrement.Parameters["$id"].Value = p.MessageId;
            long refcount = 1, origin = 0;
            using (var r = decrement.ExecuteReader())
            {
                if (r.Read()) { refcount = r.GetInt64(0); origin = r.GetInt64(1); }
            }
            if (refcount <= 0)
            {
                delete.Parameters["$id"].Value = p.MessageId;
                delete.ExecuteNonQuery();
                pending.Parameters["$id"].Value = p.MessageId;
                pending.ExecuteNonQuery();
                context.FilesToDelete.Add((p.MessageId, origin));
            }
        }
        tx.Bump("storage_used", -bytes);
        tx.Bump("message_count", -placements.Count);
    }

    public Task<IReadOnlyList<MessageInfo>> GetMessagesAsync(long mailboxId, UidSet? uids, CancellationToken cancellationToken)
    {
        using var reader = RentReader();
        // No read transaction: the listing is one statement per range, each consistent; a mailbox deleted after the
        // check lists nothing.
        RequireMailbox(reader, mailboxId);
        var list = new List<MessageInfo>();
        if (uids is null)
        {
            // The whole mailbox (SELECT of a large mailbox): straight from the reader, no intermediate rows.
            using var r = reader.Prepared($"SELECT {PlacementColumns} FROM mailbox_messages WHERE mailbox_id = $m ORDER BY uid", ("$m", mailboxId))
                .ExecuteReader();
            while (r.Read())
                list.Add(ReadInfo(r));
            return Task.FromResult<IReadOnlyList<MessageInfo>>(list);
        }
        if (uids.Ranges.Count > ScatteredRanges && uids.Ranges[^1].Last != long.MaxValue
            && uids.Ranges[^1].Last - uids.Ranges[0].First < 8 * uids.Ranges.Sum(r => r.Last - r.First + 1))
        {
            // Many scattered UIDs close together (a search's candidates): one read of their span beats one statement
            // per range.
            using var r = reader.Prepared($"SELECT {PlacementColumns} FROM mailbox_messages WHERE mailbox_id = $m AND uid BETWEEN $a AND $b ORDER BY uid",
                ("$m", mailboxId), ("$a", uids.Ranges[0].First), ("$b", uids.Ranges[^1].Last)).ExecuteReader();
            while (r.Read())
            {
                if (uids.Contains(r.GetInt64(0)))
                    list.Add(ReadInfo(r));
            }
            return Task.FromResult<IReadOnlyList<MessageInfo>>(list);
        }
        long? maxUid = null;
        foreach (var (first, last) in uids.Ranges)
        {
            long a = first, b = last;
            if (b == long.MaxValue)
            {
                // RFC 3501 6.4.8: "n:*" with n above the highest UID still means the highest.
                maxUid ??= reader.Prepared("SELECT max(uid) FROM mailbox_messages WHERE mailbox_id = $m", ("$m", mailboxId)).ExecuteScalar() is long m ? m : 0;
                a = Math.Min(a, maxUid.Value);
                b = maxUid.Value;
            }
            using var r = reader.Prepared($"SELECT {PlacementColumns} FROM mailbox_messages WHERE mailbox_id = $m AND uid BETWEEN $a AND $b ORDER BY uid",
                ("$m", mailboxId), ("$a", a), ("$b", b)).ExecuteReader();
            while (r.Read())
                list.Add(ReadInfo(r));
        }
        if (uids.Ranges.Count > 1)
        {
            // Ranges are disjoint, but "n:*" may overlap another range once "*" is resolved.
            list = list.DistinctBy(p => p.Uid).OrderBy(p => p.Uid).ToList();
        }
        return Task.FromResult<IReadOnlyList<MessageInfo>>(list);
    }

    /// <summary>Above this many ranges, a listing reads the span of the set at once.</summary>
    const int ScatteredRanges = 16;

    /// <summary>A <see cref="MessageInfo"/> from a row of <see cref="PlacementColumns"/>.</summary>
    static MessageInfo ReadInfo(SqliteDataReader r)
    {
        long tz = r.GetInt64(6);
        var offset = tz == 0 ? TimeSpan.Zero : TimeSpan.FromMinutes(tz);
        return new MessageInfo(
            r.GetInt64(0), (MessageFlags)r.GetInt64(1), r.IsDBNull(2) ? [] : SplitKeywords(r.GetString(2)), r.GetInt64(3), r.GetInt64(4),
            new DateTimeOffset(UnixEpochTicks + r.GetInt64(5) * TimeSpan.TicksPerSecond + offset.Ticks, offset),
            new DateTimeOffset(UnixEpochTicks + r.GetInt64(7) * TimeSpan.TicksPerSecond, TimeSpan.Zero),
            EmailId(r.GetInt64(8)));
    }

    static void RequireMailbox(ReadConnection reader, long mailboxId)
    {
        if (reader.Prepared("SELECT count(*) FROM mailboxes WHERE id = $id", ("$id", mailboxId)).ExecuteScalar() is not long n || n == 0)
            throw new MailStoreException(MailStoreError.NotFound, $"no mailbox with id {mailboxId}");
    }

    public Task<IReadOnlyList<UidModSeq>> SearchFlagsAsync(long mailboxId, MessageFlags required, MessageFlags excluded, CancellationToken cancellationToken)
    {
        using var reader = RentReader();
        RequireMailbox(reader, mailboxId);
        var list = new List<UidModSeq>();
        using var r = reader.Prepared("SELECT uid, modseq FROM mailbox_messages WHERE mailbox_id = $m AND (flags & $mask) = $want ORDER BY uid",
            ("$m", mailboxId), ("$mask", (long)(required | excluded)), ("$want", (long)required)).ExecuteReader();
        while (r.Read())
            list.Add(new UidModSeq(r.GetInt64(0), r.GetInt64(1)));
        return Task.FromResult<IReadOnlyList<UidModSeq>>(list);
    }

    public Task<IReadOnlyList<MessageInfo>> GetChangedSinceAsync(long mailboxId, long modSeq, CancellationToken cancellationToken)
    {
        using var reader = RentReader();
        RequireMailbox(reader, mailboxId);
        using var r = reader.Prepared(
            $"SELECT {PlacementColumns} FROM mailbox_messages WHERE mailbox_id = $m AND modseq > $s", ("$m", mailboxId), ("$s", modSeq)).ExecuteReader();
        var list = new List<MessageInfo>();
        while (r.Read()) list.Add(ReadInfo(r));
        // Sorted here, not by ORDER BY uid: that would make SQLite walk the whole mailbox in UID order instead of
        // the MODSEQ index, so the cost would follow the mailbox size instead of the changes.
        list.Sort((a, b) => a.Uid.CompareTo(b.Uid));
        return Task.FromResult<IReadOnlyList<MessageInfo>>(list);
    }

    public Task<IReadOnlyList<long>> GetExpungedSinceAsync(long mailboxId, long modSeq, CancellationToken cancellationToken)
    {
        using var reader = RentReader();
        RequireMailbox(reader, mailboxId);
        using var r = reader.Prepared("SELECT uid FROM expunged WHERE mailbox_id = $m AND modseq > $s", ("$m", mailboxId), ("$s", modSeq)).ExecuteReader();
        var list = new List<long>();
        while (r.Read()) list.Add(r.GetInt64(0));
        list.Sort(); // by the MODSEQ index, as above
        return Task.FromResult<IReadOnlyList<long>>(list);
    }

    public Task<StoreFlagsResult> StoreFlagsAsync(long mailboxId, UidSet uids, FlagChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uids);
        ArgumentNullException.ThrowIfNull(change);
        return WriteAsync((tx, context) =>
        {
            var mailbox = RequireMailbox(tx.Connection!, tx, mailboxId);
            if (change.Keywords is null || change.Keywords.Count == 0)
                return StoreSystemFlags(tx, context, mailbox, uids, change);
            var rows = Placements(tx, mailboxId, uids);
            var updated = new List<MessageInfo>(rows.Count);
            var modified = new List<long>();
            var changed = new List<long>();
            long? modSeq = null;
            using var update = tx.Command("UPDATE mailbox_messages SET flags = $f, keywords = $k, modseq = $s WHERE mailbox_id = $m AND uid = $u",
                ("$f", 0), ("$k", null), ("$s", 0L), ("$m", mailboxId), ("$u", 0L));
            foreach (var row in rows)
            {
                // RFC 7162 3.1.3: a message changed since UNCHANGEDSINCE is left alone and reported as MODIFIED.
                if (change.UnchangedSince is { } since && row.ModSeq > since)
                {
                    modified.Add(row.Uid);
                    continue;
                }
                var (flags, keywords) = Apply(row.Flags, row.Keywords, change);
                if (flags == row.Flags && keywords == row.Keywords)
                {
                    updated.Add(ToInfo(row));
                    continue;
                }
                modSeq ??= tx.Bump("modseq");
                update.Parameters["$f"].Value = (int)flags;
                update.Parameters["$k"].Value = (object?)keywords ?? DBNull.Value;
                update.Parameters["$s"].Value = modSeq.Value;
                update.Parameters["$u"].Value = row.Uid;
                update.ExecuteNonQuery();
                changed.Add(row.Uid);
                updated.Add(ToInfo(row with { Flags = flags, Keywords = keywords, ModSeq = modSeq.Value }));
            }
            if (modSeq is { } m)
            {
                tx.Execute("UPDATE mailboxes SET highestmodseq = $s WHERE id = $id", ("$s", m), ("$id", mailboxId));
                context.Changes.Add(new MailboxChange(mailboxId, mailbox.Name, MailboxChangeKind.FlagsChanged, changed, m));
            }
            return new StoreFlagsResult(updated, modified);
        }, cancellationToken, durable: false);
    }

    /// <summary>The common case, system flags only: one UPDATE per UID range instead of one per message.</summary>
    static StoreFlagsResult StoreSystemFlags(SqliteTransaction tx, WriteContext context, MailboxRow mailbox, UidSet uids, FlagChange change)
    {
        var connection = tx.Connection!;
        int f = (int)change.Flags;
        var (set, changedWhen) = change.Operation switch
        {
            FlagOperation.Add => ("flags = flags | $f", "(flags & $f) <> $f"),
            FlagOperation.Remove => ("flags = flags & ~$f", "(flags & $f) <> 0"),
            _ => ("flags = $f, keywords = NULL", "(flags <> $f OR keywords IS NOT NULL)"),
        };
        var modified = new List<long>();
        if (change.UnchangedSince is { } since)
        {
            modified = Placements(tx, mailbox.Id, uids, "AND modseq > " + since.ToString(CultureInfo.InvariantCulture)).Select(p => p.Uid).ToList();
        }
        string condition = change.UnchangedSince is { } s ? " AND modseq <= " + s.ToString(CultureInfo.InvariantCulture) : "";
        long modSeq = 0;
        var changed = new List<long>();
        using var update = tx.Command(
            $"UPDATE mailbox_messages SET {set}, modseq = $s WHERE mailbox_id = $m AND uid BETWEEN $a AND $b AND {changedWhen}{condition} RETURNING uid",
            ("$f", f), ("$s", 0L), ("$m", mailbox.Id), ("$a", 0L), ("$b", 0L));
        foreach (var (first, last) in ResolveRanges(connection, tx, mailbox.Id, uids))
        {
            if (modSeq == 0)
            {
                // Allocate the MODSEQ only once something is known to change.
                using var probe = tx.Command($"SELECT EXISTS(SELECT 1 FROM mailbox_messages WHERE mailbox_id = $m AND uid BETWEEN $a AND $b AND {changedWhen}{condition})",
                    ("$f", f), ("$m", mailbox.Id), ("$a", first), ("$b", last));
                if (probe.ExecuteScalar() is long e && e == 0) continue;
                modSeq = tx.Bump("modseq");
                update.Parameters["$s"].Value = modSeq;
            }
            update.Parameters["$a"].Value = first;
            update.Parameters["$b"].Value = last;
            using var r = update.ExecuteReader();
            while (r.Read()) changed.Add(r.GetInt64(0));
        }
        var modifiedSet = modified.ToHashSet();
        var updated = Placements(tx, mailbox.Id, uids).Where(p => !modifiedSet.Contains(p.Uid)).Select(ToInfo).ToList();
        if (changed.Count > 0)
        {
            changed.Sort();
            tx.Execute("UPDATE mailboxes SET highestmodseq = $s WHERE id = $id", ("$s", modSeq), ("$id", mailbox.Id));
            context.Changes.Add(new MailboxChange(mailbox.Id, mailbox.Name, MailboxChangeKind.FlagsChanged, changed, modSeq));
        }
        return new StoreFlagsResult(updated, modified);
    }

    /// <summary>The UID ranges of a set with "*" resolved to the highest UID (RFC 3501 6.4.8).</summary>
    static List<(long First, long Last)> ResolveRanges(SqliteConnection connection, SqliteTransaction? tx, long mailboxId, UidSet uids)
    {
        var list = new List<(long, long)>(uids.Ranges.Count);
        long? maxUid = null;
        foreach (var (first, last) in uids.Ranges)
        {
            if (last != long.MaxValue) { list.Add((first, last)); continue; }
            if (maxUid is null)
            {
                using var max = Cmd(connection, tx, "SELECT max(uid) FROM mailbox_messages WHERE mailbox_id = $m", ("$m", mailboxId));
                maxUid = max.ExecuteScalar() is long m ? m : 0;
            }
            list.Add((Math.Min(first, maxUid.Value), maxUid.Value));
        }
        return list;
    }

    static (MessageFlags Flags, string? Keywords) Apply(MessageFlags flags, string? keywords, FlagChange change)
    {
        var current = SplitKeywords(keywords);
        var given = change.Keywords ?? [];
        switch (change.Operation)
        {
            case FlagOperation.Add:
                return (flags | change.Flags, JoinKeywords(current.Concat(given)));
            case FlagOperation.Remove:
                return (flags & ~change.Flags, JoinKeywords(current.Where(k => !given.Contains(k, StringComparer.OrdinalIgnoreCase))));
            default:
                return (change.Flags, JoinKeywords(given));
        }
    }

    public async Task<CopyResult> CopyAsync(long sourceMailboxId, UidSet uids, string destinationMailbox, bool move, CancellationToken cancellationToken)
    {
        var destinationName = Normalize(destinationMailbox);
        long limit = await QuotaLimitAsync(cancellationToken).ConfigureAwait(false);
        var copied = await WriteAsync((tx, context) =>
        {
            var connection = tx.Connection!;
            var source = RequireMailbox(connection, tx, sourceMailboxId);
            var destination = RequireSelectable(connection, tx, destinationName);
            var rows = Placements(tx, sourceMailboxId, uids);
            if (rows.Count == 0)
                return new CopyResult(destination.Id, destination.UidValidity, [], []);
            long bytes = rows.Sum(r => r.Size);
            if (!move && limit > 0 && tx.Meta("storage_used") + bytes > limit)
                throw new MailStoreException(MailStoreError.OverQuota, "the copy would exceed the storage quota");
            long modSeq = tx.Bump("modseq");
            long firstUid = tx.Scalar("UPDATE mailboxes SET uidnext = uidnext + $n, highestmodseq = $s WHERE id = $id RETURNING uidnext - $n",
                ("$n", (long)rows.Count), ("$s", modSeq), ("$id", destination.Id));
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var insert = tx.Command($"""
                INSERT INTO mailbox_messages(mailbox_id, {PlacementColumns})
                VALUES ($m, $u, $f, $k, $s, $size, $d, $tz, $now, $id)
                """, ("$m", destination.Id), ("$u", 0L), ("$f", 0), ("$k", null), ("$s", modSeq), ("$size", 0L), ("$d", 0L), ("$tz", 0), ("$now", now), ("$id", 0L));
            using var reference = tx.Command("UPDATE messages SET refcount = refcount + 1 WHERE id = $id", ("$id", 0L));
            // The copies may come from a mailbox whose search text is not built yet (an upgraded index).
            ForgetTextIndexed(destination.Id);
            var destinationUids = new List<long>(rows.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                long uid = firstUid + i;
                insert.Parameters["$u"].Value = uid;
                insert.Parameters["$f"].Value = (int)row.Flags;
                insert.Parameters["$k"].Value = (object?)row.Keywords ?? DBNull.Value;
                insert.Parameters["$size"].Value = row.Size;
                insert.Parameters["$d"].Value = row.InternalDate;
                insert.Parameters["$tz"].Value = row.Tz;
                insert.Parameters["$id"].Value = row.MessageId;
                insert.ExecuteNonQuery();
                destinationUids.Add(uid);
                if (!move)
                {
                    reference.Parameters["$id"].Value = row.MessageId;
                    reference.ExecuteNonQuery();
                }
            }
            var sourceUids = rows.Select(r => r.Uid).ToList();
            if (move)
            {
                // RFC 6851 3.3: the source messages are expunged in the same atomic operation.
                RemovePlacements(tx, sourceMailboxId, sourceUids, modSeq);
                tx.Execute("UPDATE mailboxes SET highestmodseq = $s WHERE id = $id", ("$s", modSeq), ("$id", sourceMailboxId));
            }
            else
            {
                tx.Bump("storage_used", bytes);
                tx.Bump("message_count", rows.Count);
            }
            context.Changes.Add(new MailboxChange(destination.Id, destination.Name, MailboxChangeKind.Appended, destinationUids, modSeq));
            if (move)
                context.Changes.Add(new MailboxChange(source.Id, source.Name, MailboxChangeKind.Expunged, sourceUids, modSeq));
            return new CopyResult(destination.Id, destination.UidValidity, sourceUids, destinationUids);
        }, cancellationToken).ConfigureAwait(false);
        // Again after the commit: a catch-up that ran meanwhile may have marked the destination done without the copies.
        ForgetTextIndexed(copied.DestinationMailboxId);
        return copied;
    }

    /// <summary>Deletes placements and records them as expunged at <paramref name="modSeq"/> (RFC 7162 3.2.10, VANISHED).</summary>
    static void RemovePlacements(SqliteTransaction tx, long mailboxId, IReadOnlyList<long> uids, long modSeq)
    {
        using var delete = tx.Command("DELETE FROM mailbox_messages WHERE mailbox_id = $m AND uid = $u", ("$m", mailboxId), ("$u", 0L));
        using var record = tx.Command("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) VALUES ($m, $u, $s)", ("$m", mailboxId), ("$u", 0L), ("$s", modSeq));
        foreach (var uid in uids)
        {
            delete.Parameters["$u"].Value = uid;
            delete.ExecuteNonQuery();
            record.Parameters["$u"].Value = uid;
            record.ExecuteNonQuery();
        }
    }

    public Task<IReadOnlyList<long>> ExpungeAsync(long mailboxId, UidSet? uids, CancellationToken cancellationToken)
    {
        return WriteAsync<IReadOnlyList<long>>((tx, context) =>
        {
            var mailbox = RequireMailbox(tx.Connection!, tx, mailboxId);
            var rows = Placements(tx, mailboxId, uids, "AND (flags & 8) <> 0");
            if (rows.Count == 0) return [];
            long modSeq = tx.Bump("modseq");
            var expunged = rows.Select(r => r.Uid).ToList();
            RemovePlacements(tx, mailboxId, expunged, modSeq);
            DetachMessages(tx, context, rows);
            tx.Execute("UPDATE mailboxes SET highestmodseq = $s WHERE id = $id", ("$s", modSeq), ("$id", mailboxId));
            context.Changes.Add(new MailboxChange(mailboxId, mailbox.Name, MailboxChangeKind.Expunged, expunged, modSeq));
            return expunged;
        }, cancellationToken, durable: false);
    }

    /// <summary>Where the file of each (mailbox, UID) is. A placement never changes its file and a UID is never reused
    /// in a mailbox, so an entry stays true until the message is expunged; then opening the file fails and the index
    /// is asked again. Filled by the batch structure read that precedes most FETCHes of bodies, so opening those files
    /// costs no index query.</summary>
    readonly ConcurrentDictionary<(long Mailbox, long Uid), (long Id, long Origin)> fileLocations = new();

    /// <summary>Bounds <see cref="fileLocations"/>: a FETCH of a whole large mailbox must not keep its map forever.</summary>
    const int MaxCachedLocations = 20_000;

    void RememberLocation(long mailboxId, long uid, long id, long origin)
    {
        if (fileLocations.Count >= MaxCachedLocations)
            fileLocations.Clear();
        fileLocations[(mailboxId, uid)] = (id, origin);
    }

    (long Id, long Origin) FindFile(ReadConnection reader, long mailboxId, long uid)
    {
        using var r = reader.Prepared("""
            SELECT m.id, m.origin_mailbox FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id
            WHERE mm.mailbox_id = $m AND mm.uid = $u
            """, ("$m", mailboxId), ("$u", uid)).ExecuteReader();
        if (!r.Read())
            throw new MailStoreException(MailStoreError.NotFound, $"no message with UID {uid}");
        return (r.GetInt64(0), r.GetInt64(1));
    }

    public Task<Stream> OpenMessageAsync(long mailboxId, long uid, CancellationToken cancellationToken)
    {
        if (fileLocations.TryGetValue((mailboxId, uid), out var cached))
        {
            if (TryOpenFile(cached.Id, cached.Origin) is { } stream)
                return Task.FromResult(stream);
            fileLocations.TryRemove((mailboxId, uid), out _); // expunged meanwhile: the index says what happened
        }
        (long id, long origin) location;
        using (var reader = RentReader())
            location = FindFile(reader, mailboxId, uid);
        return Task.FromResult(TryOpenFile(location.id, location.origin)
            ?? throw new MailStoreException(MailStoreError.Corrupt, $"the file of UID {uid} is missing; run 'tern store verify --fix'"));
    }

    /// <summary>Opens a message file for reading; null when it is gone.</summary>
    Stream? TryOpenFile(long id, long origin)
    {
        try
        {
            // FileShare.Delete: an expunge by another session may unlink the file while this one streams it.
            // Unbuffered: every reader (FETCH, RETR, MimeKit) reads in blocks of its own, and a FETCH of twenty headers
            // need not allocate twenty 16 KB buffers.
            return new FileStream(MessageFiles.PathOf(MessagesDirectory, id, origin), new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0, Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public Task<IReadOnlyDictionary<long, MessageStructure>> GetStructuresAsync(long mailboxId, UidSet uids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, MessageStructure>();
        using var reader = RentReader();
        foreach (var (first, last) in uids.Ranges)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var r = reader.Prepared("""
                SELECT mm.uid, m.id, m.origin_mailbox, m.structure FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id
                WHERE mm.mailbox_id = $m AND mm.uid BETWEEN $a AND $b
                """, ("$m", mailboxId), ("$a", first), ("$b", last)).ExecuteReader();
            while (r.Read())
            {
                long uid = r.GetInt64(0);
                RememberLocation(mailboxId, uid, r.GetInt64(1), r.GetInt64(2));
                result[uid] = StructureSerializer.Deserialize((byte[])r.GetValue(3));
            }
        }
        return Task.FromResult<IReadOnlyDictionary<long, MessageStructure>>(result);
    }

    public Task<MessageStructure> GetStructureAsync(long mailboxId, long uid, CancellationToken cancellationToken)
    {
        using var reader = RentReader();
        using var r = reader.Prepared("""
            SELECT m.structure FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id
            WHERE mm.mailbox_id = $m AND mm.uid = $u
            """, ("$m", mailboxId), ("$u", uid)).ExecuteReader();
        if (!r.Read())
            throw new MailStoreException(MailStoreError.NotFound, $"no message with UID {uid}");
        return Task.FromResult(StructureSerializer.Deserialize((byte[])r.GetValue(0)));
    }

    public async Task<QuotaInfo> GetQuotaAsync(CancellationToken cancellationToken)
    {
        long limit = await QuotaLimitAsync(cancellationToken).ConfigureAwait(false);
        using var connection = OpenRead();
        long used = connection.Scalar("SELECT value FROM meta WHERE key = 'storage_used'");
        long count = connection.Scalar("SELECT value FROM meta WHERE key = 'message_count'");
        return new QuotaInfo(used, limit > 0 ? limit : null, count, null);
    }

    public Task<bool> WasImportedAsync(string mailbox, string key, CancellationToken cancellationToken)
    {
        var normalized = Normalize(mailbox);
        using var connection = OpenRead();
        var row = FindMailbox(connection, null, normalized);
        if (row is null) return Task.FromResult(false);
        return Task.FromResult(connection.Scalar("SELECT count(*) FROM import_keys WHERE mailbox_id = $m AND key = $k", ("$m", row.Id), ("$k", key)) > 0);
    }
}

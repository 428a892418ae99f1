using Tern.IO;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Brings index and message files back into agreement after a crash (run when an account is first opened, and by
/// <c>tern store verify</c>): an append the crash interrupted (its pending name still in tmp/) keeps its message only if
/// its row was committed and its file is whole; temporary files are removed; a file without an index row and without a
/// pending name (the index lost its commit) is added to the mailbox its name records; a row whose file is gone is expunged and logged; files of
/// messages already expunged are deleted; reference counts and usage counters are recomputed.</summary>
internal static class Reconciler
{
    public sealed record Report(IReadOnlyList<string> Problems, int OrphansAdded, int MissingRemoved, int TempFilesRemoved)
    {
        public bool Clean => Problems.Count == 0;
    }

    /// <param name="full">False after a clean shutdown: only temporary files and pending deletions are looked at,
    /// not every message file (a directory scan that costs seconds on a large account).</param>
    public static Report Run(AccountHub hub, SqliteConnection connection, bool apply, bool full = true)
    {
        if (!full)
            return Quick(hub, connection);
        var problems = new List<string>();
        using var tx = connection.BeginTransaction(deferred: !apply);
        // Before the scan below: a file removed here is then a row without a file, and expunged as such.
        ResolveInterruptedAppends(hub, tx, problems, apply);
        int temps = 0;
        foreach (var temp in Directory.Exists(hub.TempDirectory) ? Directory.EnumerateFiles(hub.TempDirectory) : [])
        {
            if (IsPending(temp))
                continue; // looked at above (and left in place by a dry run)
            if (IsSpare(temp))
            {
                if (apply) Durable.TryDelete(temp);
                continue;
            }
            temps++;
            problems.Add($"temporary file {Path.GetFileName(temp)} left by an interrupted append");
            if (apply) Durable.TryDelete(temp);
        }
        foreach (var stray in MessageFiles.EnumerateStrays(hub.MessagesDirectory))
        {
            temps++;
            problems.Add($"stray file {Path.GetRelativePath(hub.Root, stray)}");
            if (apply) Durable.TryDelete(stray);
        }

        var known = new Dictionary<long, long>();
        using (var command = tx.Command("SELECT id, origin_mailbox FROM messages"))
        using (var r = command.ExecuteReader())
            while (r.Read()) known[r.GetInt64(0)] = r.GetInt64(1);
        var pending = new HashSet<long>();
        using (var command = tx.Command("SELECT message_id FROM pending_deletes"))
        using (var r = command.ExecuteReader())
            while (r.Read()) pending.Add(r.GetInt64(0));

        var seen = new HashSet<long>();
        var orphans = new List<MessageFiles.StoredFile>();
        long maxId = 0;
        foreach (var file in MessageFiles.Enumerate(hub.MessagesDirectory))
        {
            maxId = Math.Max(maxId, file.Id);
            if (known.ContainsKey(file.Id))
            {
                seen.Add(file.Id);
            }
            else if (pending.Contains(file.Id))
            {
                problems.Add($"file of expunged message {file.Id} not yet deleted");
                if (apply) Durable.TryDelete(file.Path);
            }
            else
            {
                orphans.Add(file);
            }
        }

        // Rows whose file is gone: the message cannot be served; expunge it so clients learn (VANISHED/EXPUNGE).
        var missing = known.Keys.Where(id => !seen.Contains(id)).ToList();
        long modSeq = 0;
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} index rows without a message file: {string.Join(", ", missing.Take(20))}");
            if (apply)
                modSeq = ExpungeMessages(tx, missing);
        }

        // Files without rows: written and fsynced, but the index commit never happened. Keep them (never lose mail).
        foreach (var orphan in orphans.OrderBy(o => o.Id))
        {
            problems.Add($"message file {Path.GetFileName(orphan.Path)} not in the index");
            if (apply) AddOrphan(tx, orphan);
        }

        // Placements pointing at a message row that is gone (should not happen; repair anyway).
        long dangling = tx.Scalar("SELECT count(*) FROM mailbox_messages WHERE message_id NOT IN (SELECT id FROM messages)");
        if (dangling > 0)
        {
            problems.Add($"{dangling} placements refer to no message");
            if (apply)
            {
                modSeq = modSeq == 0 ? tx.Bump("modseq") : modSeq;
                tx.Execute("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) SELECT mailbox_id, uid, $s FROM mailbox_messages WHERE message_id NOT IN (SELECT id FROM messages)", ("$s", modSeq));
                tx.Execute("DELETE FROM mailbox_messages WHERE message_id NOT IN (SELECT id FROM messages)");
            }
        }

        var wrongCounts = new List<(long Id, long Count, long Origin)>();
        using (var command = tx.Command("""
            SELECT m.id, (SELECT count(*) FROM mailbox_messages mm WHERE mm.message_id = m.id) AS c, m.origin_mailbox
            FROM messages m WHERE m.refcount <> (SELECT count(*) FROM mailbox_messages mm WHERE mm.message_id = m.id)
            """))
        using (var r = command.ExecuteReader())
            while (r.Read()) wrongCounts.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
        var deleteAfterCommit = new List<string>();
        foreach (var (id, count, origin) in wrongCounts)
        {
            problems.Add($"message {id} has a wrong reference count (really {count})");
            if (!apply) continue;
            if (count == 0)
            {
                tx.Execute("DELETE FROM messages WHERE id = $id", ("$id", id));
                deleteAfterCommit.Add(MessageFiles.PathOf(hub.MessagesDirectory, id, origin));
            }
            else
            {
                tx.Execute("UPDATE messages SET refcount = $c WHERE id = $id", ("$c", count), ("$id", id));
            }
        }

        long used = tx.Scalar("SELECT total(size) FROM mailbox_messages");
        long messages = tx.Scalar("SELECT count(*) FROM mailbox_messages");
        if (used != tx.Meta("storage_used") || messages != tx.Meta("message_count"))
        {
            problems.Add("usage counters differ from the messages");
            if (apply)
            {
                tx.SetMeta("storage_used", used);
                tx.SetMeta("message_count", messages);
            }
        }
        if (apply)
        {
            tx.Execute("DELETE FROM pending_deletes");
            long next = Math.Max(tx.Meta("next_message_id"), Math.Max(maxId, tx.Scalar("SELECT max(id) FROM messages")) + 1);
            tx.SetMeta("next_message_id", next);
            tx.Commit();
            foreach (var path in deleteAfterCommit) Durable.TryDelete(path);
        }
        return new Report(problems, apply ? orphans.Count : 0, apply ? missing.Count : 0, temps);
    }

    /// <summary>Expunges every placement of these messages and their rows (clients learn through VANISHED/EXPUNGE);
    /// returns the MODSEQ given to the expunges.</summary>
    static long ExpungeMessages(SqliteTransaction tx, IReadOnlyCollection<long> ids)
    {
        long modSeq = tx.Bump("modseq");
        foreach (var id in ids)
        {
            tx.Execute("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) SELECT mailbox_id, uid, $s FROM mailbox_messages WHERE message_id = $id",
                ("$s", modSeq), ("$id", id));
            tx.Execute("UPDATE mailboxes SET highestmodseq = $s WHERE id IN (SELECT mailbox_id FROM mailbox_messages WHERE message_id = $id)",
                ("$s", modSeq), ("$id", id));
            tx.Execute("DELETE FROM mailbox_messages WHERE message_id = $id", ("$id", id));
            tx.Execute("DELETE FROM messages WHERE id = $id", ("$id", id));
        }
        return modSeq;
    }

    /// <summary>Appends a crash interrupted after their file got its final name (AccountHub.Append.cs): each left its
    /// pending name in tmp/, and its file may be short, since the file's fsync ran beside the commit. The message stays
    /// only if its row was committed and the file has the row's size: file systems that journal metadata in order
    /// (ext4, XFS) write a file's size only with its data. Otherwise the append was never acknowledged: its file is
    /// removed, and a committed row is left without a file (the full scan expunges it; the quick path returns it).</summary>
    /// <returns>The messages whose row stays but whose file was removed.</returns>
    static List<long> ResolveInterruptedAppends(AccountHub hub, SqliteTransaction tx, List<string> problems, bool apply)
    {
        var incomplete = new List<long>();
        if (!Directory.Exists(hub.TempDirectory))
            return incomplete;
        using var sizeOf = tx.Command("SELECT size FROM messages WHERE id = $id", ("$id", 0L));
        foreach (var pending in Directory.EnumerateFiles(hub.TempDirectory, "*" + AccountHub.PendingSuffix))
        {
            var name = Path.GetFileName(pending)[..^AccountHub.PendingSuffix.Length];
            if (!MessageFiles.TryParse(name, out var id, out var origin))
            {
                problems.Add($"temporary file {Path.GetFileName(pending)} left behind");
                if (apply) Durable.TryDelete(pending);
                continue;
            }
            var path = MessageFiles.PathOf(hub.MessagesDirectory, id, origin);
            sizeOf.Parameters["$id"].Value = id;
            var size = sizeOf.ExecuteScalar() as long?;
            var file = new FileInfo(path);
            if (size is { } expected && file.Exists && file.Length == expected)
            {
                // Whole and in the index: the crash came after the waits, or the data reached the disk anyway.
                if (apply) Durable.TryDelete(pending);
                continue;
            }
            if (size is null)
                problems.Add($"message file {name} of an append that was never committed removed");
            else
            {
                problems.Add($"message {id} of an interrupted append is incomplete ({(file.Exists ? file.Length : 0)} of {size} octets)");
                incomplete.Add(id);
            }
            if (apply)
            {
                Durable.TryDelete(path);
                Durable.TryDelete(pending);
            }
        }
        return incomplete;
    }

    static bool IsPending(string path) => path.EndsWith(AccountHub.PendingSuffix, StringComparison.Ordinal);

    /// <summary>The empty file an append takes next (AccountHub.Append.cs): no append's data, so not a problem.</summary>
    static bool IsSpare(string path) => Path.GetFileName(path).StartsWith(AccountHub.SparePrefix, StringComparison.Ordinal);

    static Report Quick(AccountHub hub, SqliteConnection connection)
    {
        var problems = new List<string>();
        using var tx = connection.BeginTransaction(deferred: false);
        // After a clean stop there are none, unless a file's fsync failed or another process stopped uncleanly.
        var incomplete = ResolveInterruptedAppends(hub, tx, problems, apply: true);
        if (incomplete.Count > 0)
            ExpungeMessages(tx, incomplete);
        int temps = 0;
        foreach (var temp in Directory.Exists(hub.TempDirectory) ? Directory.EnumerateFiles(hub.TempDirectory) : [])
        {
            if (!IsSpare(temp))
            {
                temps++;
                problems.Add($"temporary file {Path.GetFileName(temp)} left behind");
            }
            Durable.TryDelete(temp);
        }
        var pending = new List<long>();
        using (var command = tx.Command("SELECT message_id FROM pending_deletes"))
        using (var r = command.ExecuteReader())
            while (r.Read()) pending.Add(r.GetInt64(0));
        foreach (var id in pending)
        {
            var shard = Path.Combine(hub.MessagesDirectory, MessageFiles.ShardOf(id));
            if (!Directory.Exists(shard)) continue;
            foreach (var file in Directory.EnumerateFiles(shard, id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-*.eml"))
                Durable.TryDelete(file);
        }
        tx.Execute("DELETE FROM pending_deletes");
        // Files at or above the id counter were renamed into place by appends whose commit never happened (ids are
        // handed out in the commit's transaction). They sit in the last shards only, so this look is cheap, and it
        // catches them even when another process (the CLI) left the clean-shutdown marker.
        long next = tx.Meta("next_message_id");
        var lastShards = Directory.Exists(hub.MessagesDirectory)
            ? Directory.EnumerateDirectories(hub.MessagesDirectory).Where(d => string.CompareOrdinal(Path.GetFileName(d), MessageFiles.ShardOf(next)) >= 0)
            : [];
        var orphans = new List<MessageFiles.StoredFile>();
        foreach (var shard in lastShards)
            foreach (var path in Directory.EnumerateFiles(shard))
                if (MessageFiles.TryParse(Path.GetFileName(path), out var id, out var origin) && id >= next)
                    orphans.Add(new MessageFiles.StoredFile(id, origin, path));
        long maxId = next - 1;
        foreach (var orphan in orphans.OrderBy(o => o.Id))
        {
            problems.Add($"message file {Path.GetFileName(orphan.Path)} not in the index");
            AddOrphan(tx, orphan);
            maxId = Math.Max(maxId, orphan.Id);
        }
        if (orphans.Count > 0 || incomplete.Count > 0)
        {
            tx.SetMeta("next_message_id", maxId + 1);
            long used = tx.Scalar("SELECT total(size) FROM mailbox_messages");
            tx.SetMeta("storage_used", used);
            tx.SetMeta("message_count", tx.Scalar("SELECT count(*) FROM mailbox_messages"));
        }
        tx.Commit();
        return new Report(problems, orphans.Count, incomplete.Count, temps);
    }

    static void AddOrphan(SqliteTransaction tx, MessageFiles.StoredFile file)
    {
        var connection = tx.Connection!;
        var mailbox = AccountHub.FindMailbox(connection, tx, file.OriginMailbox);
        if (mailbox is null || mailbox.NoSelect)
            mailbox = AccountHub.FindMailbox(connection, tx, MailboxNames.Inbox)!;
        byte[] structure;
        long size;
        using (var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            size = stream.Length;
            structure = StructureSerializer.Serialize(MessageAnalyzer.Analyze(stream));
        }
        var date = new DateTimeOffset(File.GetLastWriteTimeUtc(file.Path), TimeSpan.Zero);
        long modSeq = tx.Bump("modseq");
        long uid = tx.Scalar("UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = $s WHERE id = $m RETURNING uidnext - 1",
            ("$s", modSeq), ("$m", mailbox.Id));
        tx.Execute("INSERT INTO messages(id, origin_mailbox, size, refcount, structure) VALUES ($id, $o, $size, 1, $st)",
            ("$id", file.Id), ("$o", file.OriginMailbox), ("$size", size), ("$st", structure));
        tx.Execute("""
            INSERT INTO mailbox_messages(mailbox_id, uid, message_id, flags, keywords, modseq, internaldate, tz, savedate, size)
            VALUES ($m, $u, $id, 0, NULL, $s, $d, 0, $now, $size)
            """, ("$m", mailbox.Id), ("$u", uid), ("$id", file.Id), ("$s", modSeq), ("$d", date.ToUnixTimeSeconds()),
            ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()), ("$size", size));
    }
}

using Tern.IO;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Rebuilds an account's index from its message files alone (<c>tern store reindex</c>, or automatically when the
/// index is missing or corrupt). Every file goes back into a mailbox: where the recovery snapshot places it, else the
/// mailbox its file name records, else "Recovered". Flags come from the snapshot when it has them.</summary>
/// <remarks>When the old index is still readable it is first turned into an exact snapshot, and UIDs, UIDVALIDITY and
/// MODSEQs are kept. Otherwise the snapshot may be older than the last changes, so every mailbox gets a new UIDVALIDITY
/// and is renumbered (RFC 3501 2.3.1.1: a client must not keep UIDs it cached), keeping the old order.</remarks>
internal static class Reindexer
{
    public sealed record Result(int Messages, int Mailboxes, bool KeptUids, string? OldIndexKeptAs);

    public const string RecoveredMailbox = "Recovered";

    public static Result Rebuild(AccountHub hub)
    {
        bool exact = false;
        string? keptAs = null;
        if (File.Exists(hub.IndexPath))
        {
            exact = TrySnapshotOldIndex(hub);
            SqliteConnection.ClearPool(new SqliteConnection(hub.ConnectionString));
            keptAs = hub.IndexPath + ".old-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                if (File.Exists(hub.IndexPath + suffix))
                    File.Move(hub.IndexPath + suffix, keptAs + suffix, overwrite: true);
        }
        var snapshot = RecoverySnapshot.Load(hub.Root);
        Directory.CreateDirectory(hub.TempDirectory);
        foreach (var temp in Directory.EnumerateFiles(hub.TempDirectory)) Durable.TryDelete(temp);

        using var connection = IndexDatabase.OpenWriter(hub.ConnectionString);
        int messageCount = 0;
        using (var tx = connection.BeginTransaction(deferred: false))
        {
            long oldestValidity = snapshot.Mailboxes.Count == 0 ? 0 : snapshot.Mailboxes.Max(m => (long)m.UidValidity);
            tx.SetMeta("uidvalidity", oldestValidity);
            // MODSEQs only grow: start above anything the snapshot knew, and above the clock in milliseconds when the
            // snapshot may be stale, since a lost index may have counted further than the snapshot.
            long baseModSeq = exact ? snapshot.ModSeq : Math.Max(snapshot.ModSeq + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            tx.SetMeta("modseq", baseModSeq);

            var mailboxIds = new Dictionary<long, string>();
            foreach (var m in snapshot.Mailboxes.OrderBy(m => m.Id))
            {
                string name;
                try { name = MailboxNames.Normalize(m.Name, hub.Options); }
                catch (MailboxNameException) { continue; }
                if (mailboxIds.ContainsValue(name)) continue;
                tx.Execute("""
                    INSERT INTO mailboxes(id, name, uidvalidity, uidnext, highestmodseq, special_use, noselect, recent_uid)
                    VALUES ($id, $n, $v, $next, $m, $s, $ns, $next)
                    """, ("$id", m.Id), ("$n", name), ("$v", exact ? (long)m.UidValidity : (long)tx.NextUidValidity()),
                    ("$next", exact ? m.UidNext : 1L), ("$m", baseModSeq), ("$s", (int)m.Use), ("$ns", m.NoSelect ? 1 : 0));
                mailboxIds[m.Id] = name;
            }
            foreach (var name in snapshot.Subscriptions)
                tx.Execute("INSERT OR IGNORE INTO subscriptions(name) VALUES ($n)", ("$n", name));
            if (!mailboxIds.ContainsValue(MailboxNames.Inbox))
            {
                // Without any record of mailboxes, mailbox 1 is INBOX: it is always created first.
                if (!snapshot.HasMailboxes)
                {
                    tx.Execute("INSERT INTO mailboxes(id, name, uidvalidity, uidnext, highestmodseq) VALUES (1, 'INBOX', $v, 1, $m)",
                        ("$v", (long)tx.NextUidValidity()), ("$m", baseModSeq));
                    tx.Execute("INSERT OR IGNORE INTO subscriptions(name) VALUES ('INBOX')");
                    mailboxIds[1] = MailboxNames.Inbox;
                }
                else
                {
                    mailboxIds[AccountHub.InsertMailbox(tx, MailboxNames.Inbox, SpecialUse.None)] = MailboxNames.Inbox;
                }
            }
            var selectable = snapshot.Mailboxes.Where(m => !m.NoSelect && mailboxIds.ContainsKey(m.Id)).Select(m => m.Id).ToHashSet();
            selectable.UnionWith(mailboxIds.Where(kv => kv.Value == MailboxNames.Inbox).Select(kv => kv.Key));
            var byMessage = snapshot.Placements.Where(p => selectable.Contains(p.MailboxId)).GroupBy(p => p.MessageId).ToDictionary(g => g.Key, g => g.ToList());

            // Collect every placement, then number per mailbox.
            var files = MessageFiles.Enumerate(hub.MessagesDirectory).OrderBy(f => f.Id).ToList();
            var placements = new List<(long MailboxId, MessageFiles.StoredFile File, RecoverySnapshot.PlacementEntry? Entry)>();
            long recoveredId = 0;
            foreach (var file in files)
            {
                if (byMessage.TryGetValue(file.Id, out var entries))
                {
                    foreach (var e in entries) placements.Add((e.MailboxId, file, e));
                    continue;
                }
                long target;
                if (selectable.Contains(file.OriginMailbox))
                    target = file.OriginMailbox;
                else if (!snapshot.HasMailboxes && file.OriginMailbox == 1)
                    target = 1;
                else
                {
                    if (recoveredId == 0)
                    {
                        var existing = AccountHub.FindMailbox(connection, tx, RecoveredMailbox);
                        recoveredId = existing?.Id ?? AccountHub.InsertMailbox(tx, RecoveredMailbox, SpecialUse.None);
                        selectable.Add(recoveredId);
                    }
                    target = recoveredId;
                }
                placements.Add((target, file, null));
            }

            var refcounts = placements.GroupBy(p => p.File.Id).ToDictionary(g => g.Key, g => g.Count());
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            long used = 0;
            foreach (var file in files)
            {
                if (!refcounts.TryGetValue(file.Id, out var refs)) continue;
                using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var structure = StructureSerializer.Serialize(MessageAnalyzer.Analyze(stream));
                tx.Execute("INSERT INTO messages(id, origin_mailbox, size, refcount, structure) VALUES ($id, $o, $size, $r, $st)",
                    ("$id", file.Id), ("$o", file.OriginMailbox), ("$size", stream.Length), ("$r", (long)refs), ("$st", structure));
            }
            var sizes = files.ToDictionary(f => f.Id, f => new FileInfo(f.Path).Length);
            foreach (var group in placements.GroupBy(p => p.MailboxId))
            {
                var ordered = exact
                    ? group.OrderBy(p => p.Entry?.Uid ?? long.MaxValue).ThenBy(p => p.File.Id).ToList()
                    : group.OrderBy(p => p.Entry is null ? 1 : 0).ThenBy(p => p.Entry?.Uid ?? 0).ThenBy(p => p.File.Id).ToList();
                long uidNext = exact ? Math.Max(1, tx.Scalar("SELECT uidnext FROM mailboxes WHERE id = $id", ("$id", group.Key))) : 1;
                foreach (var (_, file, entry) in ordered)
                {
                    long uid = exact && entry is not null ? entry.Uid : uidNext;
                    uidNext = Math.Max(uidNext, uid + 1);
                    long date = entry?.InternalDate ?? new DateTimeOffset(File.GetLastWriteTimeUtc(file.Path), TimeSpan.Zero).ToUnixTimeSeconds();
                    long size = sizes[file.Id];
                    used += size;
                    messageCount++;
                    tx.Execute("""
                        INSERT INTO mailbox_messages(mailbox_id, uid, message_id, flags, keywords, modseq, internaldate, tz, savedate, size)
                        VALUES ($m, $u, $id, $f, $k, $s, $d, $tz, $now, $size)
                        """, ("$m", group.Key), ("$u", uid), ("$id", file.Id), ("$f", (int)(entry?.Flags ?? MessageFlags.None)),
                        ("$k", entry?.Keywords), ("$s", exact && entry is not null ? entry.ModSeq : baseModSeq), ("$d", date),
                        ("$tz", entry?.Tz ?? 0), ("$now", now), ("$size", size));
                }
                tx.Execute("UPDATE mailboxes SET uidnext = $n, recent_uid = max(recent_uid, $n) WHERE id = $id", ("$n", uidNext), ("$id", group.Key));
            }
            if (exact)
            {
                foreach (var (mailboxId, uid, modSeq) in snapshot.Expunged.Where(x => mailboxIds.ContainsKey(x.MailboxId)))
                    tx.Execute("INSERT OR IGNORE INTO expunged(mailbox_id, uid, modseq) VALUES ($m, $u, $s)", ("$m", mailboxId), ("$u", uid), ("$s", modSeq));
                foreach (var m in snapshot.Mailboxes.Where(m => mailboxIds.ContainsKey(m.Id)))
                    tx.Execute("UPDATE mailboxes SET highestmodseq = $s WHERE id = $id", ("$s", m.HighestModSeq), ("$id", m.Id));
            }
            long maxId = files.Count == 0 ? 0 : files[^1].Id;
            tx.SetMeta("next_message_id", Math.Max(snapshot.NextMessageId, maxId + 1));
            tx.SetMeta("storage_used", used);
            tx.SetMeta("message_count", messageCount);
            tx.Commit();
        }
        RecoverySnapshot.WriteMailboxes(hub.Root, connection);
        RecoverySnapshot.WriteFlags(hub.Root, connection);
        int mailboxCount = (int)connection.Scalar("SELECT count(*) FROM mailboxes");
        StoreLog.Rebuilt(hub.Logger, hub.AccountId, messageCount, mailboxCount);
        connection.Close();
        SqliteConnection.ClearPool(connection);
        return new Result(messageCount, mailboxCount, exact, keptAs);
    }

    /// <summary>Writes the snapshot files from the old index if SQLite can still read it; true when it could.</summary>
    static bool TrySnapshotOldIndex(AccountHub hub)
    {
        try
        {
            var readOnly = new SqliteConnectionStringBuilder { DataSource = hub.IndexPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
            using var connection = new SqliteConnection(readOnly);
            connection.Open();
            using (var check = connection.Command("PRAGMA quick_check"))
                if (check.ExecuteScalar() as string != "ok") return false;
            RecoverySnapshot.WriteMailboxes(hub.Root, connection);
            RecoverySnapshot.WriteFlags(hub.Root, connection);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }
}

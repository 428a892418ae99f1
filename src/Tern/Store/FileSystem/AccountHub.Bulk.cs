using Tern.IO;

namespace Tern.Store.FileSystem;

/// <summary>Bulk loading (large imports, benchmark set-up): many messages per transaction, and one syncfs(2) of the file
/// system before each commit instead of an fsync per file. Still durable: nothing is in the index before its file is on disk.</summary>
internal sealed partial class AccountHub
{
    /// <summary>Appends messages (already CRLF) in batches; returns the UIDs given. No quota check, no change events
    /// beyond one per batch.</summary>
    public async Task<IReadOnlyList<long>> BulkAppendAsync(string mailbox, IEnumerable<(byte[] Content, AppendOptions Options)> messages,
        int batchSize, CancellationToken cancellationToken)
    {
        var name = Normalize(mailbox);
        var uids = new List<long>();
        foreach (var batch in messages.Chunk(batchSize))
        {
            var changes = await WriteAsync((tx, context) =>
            {
                var row = RequireSelectable(tx.Connection!, tx, name);
                long nextId = tx.Meta("next_message_id");
                long modSeq = tx.Bump("modseq");
                long firstUid = tx.Scalar("UPDATE mailboxes SET uidnext = uidnext + $n, highestmodseq = $s WHERE id = $id RETURNING uidnext - $n",
                    ("$n", (long)batch.Length), ("$s", modSeq), ("$id", row.Id));
                var shards = new HashSet<string>(StringComparer.Ordinal);
                using var insertMessage = tx.Command("INSERT INTO messages(id, origin_mailbox, size, refcount, structure) VALUES ($id, $o, $size, 1, $st)",
                    ("$id", 0L), ("$o", row.Id), ("$size", 0L), ("$st", Array.Empty<byte>()));
                using var insertPlacement = tx.Command($"""
                    INSERT INTO mailbox_messages(mailbox_id, {PlacementColumns}) VALUES ($m, $u, $f, $k, $s, $size, $d, $tz, $now, $id)
                    """, ("$m", row.Id), ("$u", 0L), ("$f", 0), ("$k", null), ("$s", modSeq), ("$size", 0L), ("$d", 0L), ("$tz", 0), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()), ("$id", 0L));
                // Files, structures and search text are made on every core at once; the index rows go in on this thread
                // (the connection is not thread-safe).
                long firstId = nextId;
                foreach (int shardIndex in Enumerable.Range(0, batch.Length))
                {
                    var shard = Path.GetDirectoryName(MessageFiles.PathOf(MessagesDirectory, firstId + shardIndex, row.Id))!;
                    if (shards.Add(shard)) Directory.CreateDirectory(shard);
                }
                var structures = new byte[batch.Length][];
                var texts = new IndexedText[batch.Length];
                Parallel.For(0, batch.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
                {
                    var (content, options) = batch[i];
                    var path = MessageFiles.PathOf(MessagesDirectory, firstId + i, row.Id);
                    File.WriteAllBytes(path, content);
                    File.SetLastWriteTimeUtc(path, (options.InternalDate ?? DateTimeOffset.UtcNow).UtcDateTime);
                    using (var stream = new MemoryStream(content, writable: false))
                        structures[i] = StructureSerializer.Serialize(MessageAnalyzer.Analyze(stream));
                    using (var stream = new MemoryStream(content, writable: false))
                        texts[i] = Extract(stream);
                });
                nextId += batch.Length;
                long bytes = 0;
                var batchUids = new List<long>();
                for (int i = 0; i < batch.Length; i++)
                {
                    var (content, options) = batch[i];
                    long id = firstId + i;
                    var date = options.InternalDate ?? DateTimeOffset.UtcNow;
                    insertMessage.Parameters["$id"].Value = id;
                    insertMessage.Parameters["$size"].Value = (long)content.Length;
                    insertMessage.Parameters["$st"].Value = structures[i];
                    insertMessage.ExecuteNonQuery();
                    InsertText(tx, id, texts[i]);
                    long uid = firstUid + i;
                    insertPlacement.Parameters["$u"].Value = uid;
                    insertPlacement.Parameters["$f"].Value = (int)options.Flags;
                    insertPlacement.Parameters["$k"].Value = (object?)JoinKeywords(options.Keywords) ?? DBNull.Value;
                    insertPlacement.Parameters["$size"].Value = (long)content.Length;
                    insertPlacement.Parameters["$d"].Value = date.ToUnixTimeSeconds();
                    insertPlacement.Parameters["$tz"].Value = (int)date.Offset.TotalMinutes;
                    insertPlacement.Parameters["$id"].Value = id;
                    insertPlacement.ExecuteNonQuery();
                    bytes += content.Length;
                    batchUids.Add(uid);
                }
                Durable.SyncFileSystem(MessagesDirectory);
                tx.SetMeta("next_message_id", nextId);
                tx.Bump("storage_used", bytes);
                tx.Bump("message_count", batch.Length);
                uids.AddRange(batchUids);
                context.Changes.Add(new MailboxChange(row.Id, row.Name, MailboxChangeKind.Appended, batchUids, modSeq));
                return 0;
            }, cancellationToken).ConfigureAwait(false);
        }
        return uids;
    }
}

using Tern.IO;
using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Append: the file is written and fsynced by the caller, then committed in a group with every other append
/// waiting at that moment (one directory fsync per shard, one index commit), and the caller returns after both.</summary>
internal sealed partial class AccountHub
{
    sealed class PendingAppend(string mailbox, string tempPath, long size, byte[] structure, IndexedText text, AppendOptions options, string? importKey)
    {
        public IndexedText Text { get; } = text;
        public string Mailbox { get; } = mailbox;
        public string TempPath { get; } = tempPath;
        public long Size { get; } = size;
        public byte[] Structure { get; } = structure;
        public AppendOptions Options { get; } = options;
        public string? ImportKey { get; } = importKey;
        public string? FinalPath { get; set; }
        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    readonly ConcurrentQueue<PendingAppend> appendQueue = new();

    public async Task<AppendResult> AppendAsync(string mailbox, Stream content, AppendOptions options, string? importKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        var name = Normalize(mailbox);
        using (var connection = OpenRead())
            RequireSelectable(connection, null, name);
        long limit = await QuotaLimitAsync(cancellationToken).ConfigureAwait(false);

        var temp = Path.Combine(TempDirectory, Guid.NewGuid().ToString("N") + ".tmp");
        long size;
        byte[] structure;
        IndexedText text;
        try
        {
            await using (var file = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0,
            }))
            {
                var buffered = new BufferedStream(file, 65536);
                (size, _) = await MessageWriter.CopyNormalizedAsync(content, buffered, cancellationToken).ConfigureAwait(false);
                await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (limit > 0 && CurrentUsage() + size > limit)
                    throw new MailStoreException(MailStoreError.OverQuota, "the message would exceed the storage quota");
                file.Position = 0;
                structure = StructureSerializer.Serialize(MessageAnalyzer.Analyze(file));
                // The text index row is made here, outside the write lock, in bounded memory (MessageTextExtractor's caps).
                file.Position = 0;
                text = Extract(file);
                // The file's time is the INTERNALDATE, so an index rebuilt from the files alone keeps it.
                var date = options.InternalDate ?? DateTimeOffset.UtcNow;
                File.SetLastWriteTimeUtc(file.SafeFileHandle, date.UtcDateTime);
                file.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex)
        {
            Durable.TryDelete(temp);
            if (Durable.IsDiskFull(ex))
                throw new MailStoreException(MailStoreError.DiskFull, "the disk is full");
            throw;
        }

        var pending = new PendingAppend(name, temp, size, structure, text, options, importKey);
        appendQueue.Enqueue(pending);
        // Not cancellable from here on: the file is written and another caller may already be committing it.
        await writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        List<MailboxChange> changes = [];
        try
        {
            if (!pending.Done.Task.IsCompleted)
                changes = CommitQueuedAppends(limit);
        }
        finally
        {
            writeLock.Release();
        }
        Publish(changes);
        return await pending.Done.Task.ConfigureAwait(false);
    }

    long CurrentUsage()
    {
        using var connection = OpenRead();
        return connection.Scalar("SELECT value FROM meta WHERE key = 'storage_used'");
    }

    /// <summary>Commits every queued append in one transaction. Runs under the write lock.</summary>
    List<MailboxChange> CommitQueuedAppends(long limit)
    {
        var batch = new List<PendingAppend>();
        while (appendQueue.TryDequeue(out var item)) batch.Add(item);
        var changes = new List<MailboxChange>();
        if (batch.Count == 0) return changes;
        var results = new List<(PendingAppend Item, AppendResult Result)>();
        var failed = new List<(PendingAppend Item, Exception Error)>();
        try
        {
            var connection = Writer;
            using var tx = connection.BeginTransaction(deferred: false);
            long used = tx.Meta("storage_used");
            long nextId = Math.Max(tx.Meta("next_message_id"), 1);
            var accepted = new List<(PendingAppend Item, MailboxRow Mailbox, long Id)>();
            var shards = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in batch)
            {
                var mailbox = FindMailbox(connection, tx, item.Mailbox);
                if (mailbox is null || mailbox.NoSelect)
                {
                    failed.Add((item, new MailStoreException(MailStoreError.NotFound, $"no mailbox {item.Mailbox}")));
                    continue;
                }
                if (limit > 0 && used + item.Size > limit)
                {
                    failed.Add((item, new MailStoreException(MailStoreError.OverQuota, "the message would exceed the storage quota")));
                    continue;
                }
                // Move the fsynced file to its final name; a name already taken (a file left by a crash that reconcile
                // has not seen) only moves the counter on.
                while (true)
                {
                    var path = MessageFiles.PathOf(MessagesDirectory, nextId, mailbox.Id);
                    var shard = Path.GetDirectoryName(path)!;
                    if (shards.Add(shard) && !Directory.Exists(shard))
                    {
                        Directory.CreateDirectory(shard);
                        Durable.SyncDirectory(MessagesDirectory);
                    }
                    if (File.Exists(path))
                    {
                        nextId++;
                        continue;
                    }
                    File.Move(item.TempPath, path, overwrite: false);
                    item.FinalPath = path;
                    break;
                }
                accepted.Add((item, mailbox, nextId));
                used += item.Size;
                nextId++;
            }
            // The renames are durable before the index says the messages exist.
            foreach (var shard in shards)
                Durable.SyncDirectory(shard);

            using var insertMessage = tx.Command("INSERT INTO messages(id, origin_mailbox, size, refcount, structure) VALUES ($id, $o, $size, 1, $st)",
                ("$id", 0L), ("$o", 0L), ("$size", 0L), ("$st", Array.Empty<byte>()));
            using var insertPlacement = tx.Command($"""
                INSERT INTO mailbox_messages(mailbox_id, {PlacementColumns}) VALUES ($m, $u, $f, $k, $s, $size, $d, $tz, $now, $id)
                """, ("$m", 0L), ("$u", 0L), ("$f", 0), ("$k", null), ("$s", 0L), ("$size", 0L), ("$d", 0L), ("$tz", 0), ("$now", 0L), ("$id", 0L));
            using var allocate = tx.Command("UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = $s WHERE id = $m RETURNING uidnext - 1, uidvalidity",
                ("$s", 0L), ("$m", 0L));
            using var ledger = tx.Command("INSERT OR IGNORE INTO import_keys(mailbox_id, key) VALUES ($m, $k)", ("$m", 0L), ("$k", ""));
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            long totalBytes = 0;
            var appended = new Dictionary<long, (string Name, List<long> Uids, long ModSeq)>();
            foreach (var (item, mailbox, id) in accepted)
            {
                long modSeq = tx.Bump("modseq");
                allocate.Parameters["$s"].Value = modSeq;
                allocate.Parameters["$m"].Value = mailbox.Id;
                long uid;
                uint uidValidity;
                using (var r = allocate.ExecuteReader())
                {
                    r.Read();
                    uid = r.GetInt64(0);
                    uidValidity = (uint)r.GetInt64(1);
                }
                insertMessage.Parameters["$id"].Value = id;
                insertMessage.Parameters["$o"].Value = mailbox.Id;
                insertMessage.Parameters["$size"].Value = item.Size;
                insertMessage.Parameters["$st"].Value = item.Structure;
                insertMessage.ExecuteNonQuery();
                InsertText(tx, id, item.Text);
                var date = item.Options.InternalDate ?? DateTimeOffset.UtcNow;
                insertPlacement.Parameters["$m"].Value = mailbox.Id;
                insertPlacement.Parameters["$u"].Value = uid;
                insertPlacement.Parameters["$f"].Value = (int)item.Options.Flags;
                insertPlacement.Parameters["$k"].Value = (object?)JoinKeywords(item.Options.Keywords) ?? DBNull.Value;
                insertPlacement.Parameters["$s"].Value = modSeq;
                insertPlacement.Parameters["$size"].Value = item.Size;
                insertPlacement.Parameters["$d"].Value = date.ToUnixTimeSeconds();
                insertPlacement.Parameters["$tz"].Value = (int)date.Offset.TotalMinutes;
                insertPlacement.Parameters["$now"].Value = now;
                insertPlacement.Parameters["$id"].Value = id;
                insertPlacement.ExecuteNonQuery();
                if (item.ImportKey is { } key)
                {
                    ledger.Parameters["$m"].Value = mailbox.Id;
                    ledger.Parameters["$k"].Value = key;
                    ledger.ExecuteNonQuery();
                }
                totalBytes += item.Size;
                results.Add((item, new AppendResult(mailbox.Id, uidValidity, uid, item.Size)));
                if (!appended.TryGetValue(mailbox.Id, out var entry))
                    appended[mailbox.Id] = entry = (mailbox.Name, [], 0);
                entry.Uids.Add(uid);
                appended[mailbox.Id] = (entry.Name, entry.Uids, modSeq);
            }
            tx.SetMeta("next_message_id", nextId);
            tx.Bump("storage_used", totalBytes);
            tx.Bump("message_count", accepted.Count);
            tx.Commit();
            foreach (var (mailboxId, (name, uids, modSeq)) in appended)
                changes.Add(new MailboxChange(mailboxId, name, MailboxChangeKind.Appended, uids, modSeq));
        }
        catch (Exception ex)
        {
            // Nothing of this batch is in the index: remove its files (renamed or not) and fail every caller.
            var error = ex is SqliteException sql && IndexDatabase.IsDiskFull(sql) || Durable.IsDiskFull(ex)
                ? new MailStoreException(MailStoreError.DiskFull, "the disk is full")
                : ex;
            StoreLog.AppendFailed(logger, AccountId, ex.Message);
            foreach (var item in batch)
            {
                Durable.TryDelete(item.TempPath);
                if (item.FinalPath is not null) Durable.TryDelete(item.FinalPath);
                if (!failed.Any(f => ReferenceEquals(f.Item, item)))
                    item.Done.TrySetException(error);
            }
            results.Clear();
        }
        foreach (var (item, error) in failed)
        {
            Durable.TryDelete(item.TempPath);
            item.Done.TrySetException(error);
        }
        foreach (var (item, result) in results)
            item.Done.TrySetResult(result);
        if (results.Count > 0)
            MarkDirty();
        return changes;
    }
}

using Tern.IO;
using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Append: the caller writes the file and starts its fsync, then the file is linked under its final name and
/// committed in a group with every other append waiting at that moment (one directory fsync per shard, one index
/// commit). The file's fsync, the folder's and the commit's run side by side, and the caller returns after all three.</summary>
/// <remarks>
/// <para>Why not fsync, then rename, then commit: those are two or three waits for the disk in a row, the largest part of
/// an APPEND (0.65 ms for the file, 0.5 ms for the commit, on this project's machine). Side by side they cost the
/// longest of them.</para>
/// <para>What makes that safe is the second name. Under the write lock the temporary file is renamed to
/// <c>tmp/&lt;id&gt;-&lt;mailbox&gt;.eml.pending</c> and hard-linked to its final name; the pending name is removed only
/// after all three waits. After a crash, a pending name says the append may not have finished, so its file may be short
/// (its data never reached the disk). <see cref="Reconciler"/> keeps such a message only if its index row exists and the
/// file has the row's size, and removes it otherwise: never acknowledged, so nothing acknowledged is lost, and no
/// truncated message is ever taken into a mailbox.</para>
/// <para>The search text and SORT fields of appended messages are not part of that commit: they are derived data, written
/// shortly afterwards in batches by <see cref="RunTextBacklogAsync"/> (see the text backlog below).</para>
/// </remarks>
internal sealed partial class AccountHub
{
    sealed class PendingAppend(string mailbox, string tempPath, Task fileSynced, long size, byte[] structure, AppendOptions options, string? importKey)
    {
        public string Mailbox { get; } = mailbox;
        public string TempPath { get; } = tempPath;
        /// <summary>The fsync of the file, started before the commit.</summary>
        public Task FileSynced { get; } = fileSynced;
        public long Size { get; } = size;
        public byte[] Structure { get; } = structure;
        public AppendOptions Options { get; } = options;
        public string? ImportKey { get; } = importKey;
        public string? FinalPath { get; set; }
        /// <summary>The pending name in tmp/ (see the remarks above), set once the file has its final name.</summary>
        public string? PendingPath { get; set; }
        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    readonly ConcurrentQueue<PendingAppend> appendQueue = new();

    public async Task<AppendResult> AppendAsync(string mailbox, Stream content, AppendOptions options, string? importKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        var name = Normalize(mailbox);
        using (var reader = RentReader())
            RequireSelectable(reader, name);
        long limit = await QuotaLimitAsync(cancellationToken).ConfigureAwait(false);

        var temp = "";
        long size;
        byte[] structure;
        Task fileSynced;
        try
        {
            FileStream? opened = null;
            if (TakeSpareTempFile() is { } spare)
            {
                temp = spare;
                try
                {
                    opened = new FileStream(temp, new FileStreamOptions
                    {
                        Mode = FileMode.Open, Access = FileAccess.ReadWrite, Share = AppendFileShare, BufferSize = 0,
                    });
                }
                catch (FileNotFoundException)
                {
                    // Removed meanwhile (a verify with --fix clears the folder): make one as below.
                }
            }
            if (opened is null)
            {
                temp = Path.Combine(TempDirectory, Guid.NewGuid().ToString("N") + ".tmp");
                opened = new FileStream(temp, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = AppendFileShare, BufferSize = 0,
                });
            }
            var file = opened;
            try
            {
                // Unbuffered: the copy writes whole chunks of up to 160 KB, one system call each.
                size = await MessageWriter.CopyNormalizedAsync(content, file, cancellationToken).ConfigureAwait(false);
                if (limit > 0 && CurrentUsage() + size > limit)
                    throw new MailStoreException(MailStoreError.OverQuota, "the message would exceed the storage quota");
                file.Position = 0;
                structure = StructureSerializer.Serialize(MessageAnalyzer.Analyze(file));
                // The file's time is the INTERNALDATE, so an index rebuilt from the files alone keeps it.
                var date = options.InternalDate ?? DateTimeOffset.UtcNow;
                File.SetLastWriteTimeUtc(file.SafeFileHandle, date.UtcDateTime);
            }
            catch
            {
                await file.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            // The file's fsync runs while the commit is made; the file is closed once it is on disk.
            fileSynced = Task.Run(() =>
            {
                using (file)
                    file.Flush(flushToDisk: true);
            });
        }
        catch (Exception ex)
        {
            Durable.TryDelete(temp);
            if (Durable.IsDiskFull(ex))
                throw new MailStoreException(MailStoreError.DiskFull, "the disk is full");
            throw;
        }

        var pending = new PendingAppend(name, temp, fileSynced, size, structure, options, importKey);
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

    // The spare temporary file. Creating a file (a new inode and directory entry in the file system's journal) was the
    // largest single wait on an APPEND's path in a thread-time profile, and 0.9 ms under strace, against 0.04 ms to open
    // an existing one. So an empty file is created in the background after each append, and the next append opens it
    // instead: the median APPEND of 5 KB over IMAP went from 3.8-3.9 ms to 3.5-3.6 ms (three interleaved pairs of 300).
    // It is removed at close, and by reconcile (without reporting it: it is empty and no append's) after a crash.
    internal const string SparePrefix = "spare-";
    /// <summary>How an append opens its file. Not FileShare.None: .NET takes an exclusive flock(2) for that, and the
    /// file stays open for its fsync after it has its final name, while the text pass or a FETCH may already read it.</summary>
    const FileShare AppendFileShare = FileShare.ReadWrite | FileShare.Delete;
    /// <summary>False makes appends rename instead of link, as on a file system without hard links (for tests).</summary>
    internal bool HardLinks { get; set; } = true;
    /// <summary>The suffix of an append's second name in tmp/ while its file and row are made durable (see the remarks
    /// of this class).</summary>
    internal const string PendingSuffix = ".pending";
    string? spareTemp;
    int spareCreating;

    /// <summary>The spare temporary file (null if none is ready), and a new one made in the background.</summary>
    string? TakeSpareTempFile()
    {
        var spare = Interlocked.Exchange(ref spareTemp, null);
        MakeSpareTempFile();
        return spare;
    }

    void MakeSpareTempFile()
    {
        if (disposed || Interlocked.CompareExchange(ref spareCreating, 1, 0) != 0)
            return;
        _ = Task.Run(() =>
        {
            try
            {
                var path = Path.Combine(TempDirectory, SparePrefix + Guid.NewGuid().ToString("N"));
                new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1).Dispose();
                if (disposed || Interlocked.CompareExchange(ref spareTemp, path, null) is not null)
                    Durable.TryDelete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No spare: the next append creates its file itself.
            }
            finally
            {
                Volatile.Write(ref spareCreating, 0);
            }
        });
    }

    /// <summary>At close: a clean close leaves tmp/ empty.</summary>
    async Task RemoveSpareTempFileAsync()
    {
        while (Volatile.Read(ref spareCreating) != 0)
            await Task.Delay(1).ConfigureAwait(false);
        if (Interlocked.Exchange(ref spareTemp, null) is { } spare)
            Durable.TryDelete(spare);
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
        bool backlogged = false;
        Task renamesDurable = Task.CompletedTask;
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
                // Give the file its pending name and its final name (see the remarks above); a final name already taken
                // (a file left by a crash that reconcile has not seen) only moves the counter on.
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
                    var pendingPath = Path.Combine(TempDirectory, MessageFiles.FileName(nextId, mailbox.Id) + PendingSuffix);
                    File.Move(item.TempPath, pendingPath, overwrite: true);
                    item.PendingPath = pendingPath;
                    if (!(HardLinks && Durable.TryHardLink(pendingPath, path)))
                    {
                        // A file system without hard links: the file is on disk before it gets its final name, the one
                        // name it then has (one wait for the disk more, as before hard links were used).
                        item.FileSynced.GetAwaiter().GetResult();
                        File.Move(pendingPath, path, overwrite: false);
                        item.PendingPath = null;
                    }
                    item.FinalPath = path;
                    break;
                }
                accepted.Add((item, mailbox, nextId));
                used += item.Size;
                nextId++;
            }
            // The final names are made durable while the rows are written and committed, and while each file's own
            // fsync runs; the callers hear back only after all of them.
            renamesDurable = shards.Count == 0 ? Task.CompletedTask : Task.Run(() =>
            {
                foreach (var shard in shards)
                    Durable.SyncDirectory(shard);
            });

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
            // Into the text backlog before the commit makes them visible: a search that sees a message also sees it pending.
            backlogged = QueueTextBacklog(accepted.Select(a => (a.Id, a.Mailbox.Id)));
            tx.Commit();
            foreach (var (mailboxId, (name, uids, modSeq)) in appended)
                changes.Add(new MailboxChange(mailboxId, name, MailboxChangeKind.Appended, uids, modSeq));
        }
        catch (Exception ex)
        {
            WaitQuietly(renamesDurable);
            // Nothing of this batch is in the index: remove its files (renamed or not) and fail every caller.
            var error = AsStoreError(ex);
            StoreLog.AppendFailed(logger, AccountId, ex.Message);
            if (backlogged)
                DropFailedFromTextBacklog();
            foreach (var item in batch)
            {
                Durable.TryDelete(item.TempPath);
                if (item.PendingPath is not null) Durable.TryDelete(item.PendingPath);
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
        if (results.Count > 0)
        {
            try
            {
                renamesDurable.GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Committed, but not known to be durable: no caller is told it was stored (a retry may make a second copy,
                // as with any unacknowledged append); the messages stay in the index, and their files in place.
                StoreLog.AppendFailed(logger, AccountId, ex.Message);
                var error = AsStoreError(ex);
                foreach (var (item, _) in results)
                    item.Done.TrySetException(error);
            }
            foreach (var (item, _) in results)
            {
                try
                {
                    item.FileSynced.GetAwaiter().GetResult();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // As above, for this message alone. Its pending name stays, so that reconcile checks its file.
                    StoreLog.AppendFailed(logger, AccountId, ex.Message);
                    item.Done.TrySetException(AsStoreError(ex));
                    continue;
                }
                if (!item.Done.Task.IsCompleted && item.PendingPath is not null)
                    Durable.TryDelete(item.PendingPath);
            }
        }
        foreach (var (item, result) in results)
            item.Done.TrySetResult(result);
        if (results.Count > 0)
        {
            MarkDirty();
            ScheduleTextBacklog();
        }
        return changes;
    }

    /// <summary>A full disk (a file's ENOSPC, SQLite's SQLITE_FULL) as the store's DiskFull error; any other failure as it is.</summary>
    static Exception AsStoreError(Exception ex) =>
        ex is SqliteException sql && IndexDatabase.IsDiskFull(sql) || Durable.IsDiskFull(ex)
            ? new MailStoreException(MailStoreError.DiskFull, "the disk is full")
            : ex;

    static void WaitQuietly(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The batch failed anyway; its files are being removed.
        }
    }

    // The text backlog. Indexing a message's text (FTS5 trigrams over up to a megabyte of folded text, and the SORT/THREAD
    // fields) costs more than the rest of its append together, so it is kept out of the append's durable commit: the
    // message ids go into this backlog before that commit, and a background pass indexes them TextBacklogDelay later, up
    // to IndexBatch messages in one transaction (one FTS5 segment instead of one per message) committed without an fsync
    // of its own. The text index is derived data: after a crash the rows that did not make it are missing, and
    // EnsureTextIndexedAsync finds and indexes them (a fresh process knows no mailbox as indexed). Within the process
    // every sort first drains the backlog (DrainTextBacklogAsync), and a text search matches the pending messages from
    // their files (PendingTextMessages), so a message is never found missing and a search right after an append does not
    // wait for the append's text rows (writing them costs milliseconds: FTS5 flushes and merges its segments).

    readonly Lock textBacklogGate = new();
    readonly SemaphoreSlim textBacklogWriter = new(1, 1);
    List<(long Id, long Origin)> textBacklog = [];
    /// <summary>The batch a pass took out of the backlog and has not committed yet (still pending for a search).</summary>
    List<(long Id, long Origin)> textInFlight = [];
    bool textBacklogScheduled;
    /// <summary>Bumped when an append batch fails after its ids were backlogged: their ids may be given again, so a pass
    /// that took them must not index what it read under them.</summary>
    long textBacklogEpoch;

    /// <summary>How long after an append its text is indexed: appends in between share the pass (and its transaction).
    /// Tests lengthen it to look at messages still in the backlog.</summary>
    internal TimeSpan TextBacklogDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Messages waiting for their text rows (for tests and diagnostics).</summary>
    internal int TextBacklogCount
    {
        get { lock (textBacklogGate) return textBacklog.Count; }
    }

    /// <summary>The messages whose text rows are not written yet: the backlog and the batch a pass is writing. A text
    /// search matches these from their files (<see cref="SearchTextAsync"/>) instead of waiting for their rows.</summary>
    internal List<(long Id, long Origin)> PendingTextMessages()
    {
        lock (textBacklogGate)
            return textInFlight.Count == 0 ? [.. textBacklog] : [.. textInFlight, .. textBacklog];
    }

    bool QueueTextBacklog(IEnumerable<(long Id, long Origin)> messages)
    {
        lock (textBacklogGate)
        {
            int before = textBacklog.Count;
            textBacklog.AddRange(messages);
            return textBacklog.Count > before;
        }
    }

    /// <summary>An append batch failed after its ids went into the backlog (under the write lock, so nothing was
    /// added after them): take them out again, and make a pass that already took them discard what it read.</summary>
    void DropFailedFromTextBacklog()
    {
        lock (textBacklogGate)
        {
            textBacklogEpoch++;
            textBacklog = [];
        }
        // Whatever the backlog held may now be unindexed without being pending: the next search looks for it.
        ForgetTextIndexed();
    }

    void ScheduleTextBacklog()
    {
        lock (textBacklogGate)
        {
            if (textBacklogScheduled || textBacklog.Count == 0)
                return;
            textBacklogScheduled = true;
        }
        _ = Task.Run(RunTextBacklogAsync);
    }

    async Task RunTextBacklogAsync()
    {
        try
        {
            await Task.Delay(TextBacklogDelay, lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (textBacklogGate) textBacklogScheduled = false;
            return; // closing: the rows are found missing after the next start
        }
        lock (textBacklogGate) textBacklogScheduled = false;
        try
        {
            await DrainTextBacklogAsync(lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or MailStoreException or SqliteException or IOException)
        {
            // Not indexed now: searches find these messages missing (the mailboxes are no longer known as indexed).
            ForgetTextIndexed();
            if (ex is not (OperationCanceledException or ObjectDisposedException))
                StoreLog.TextIndexFailed(logger, AccountId, 0, ex.Message);
        }
        ScheduleTextBacklog(); // appends that came in while the last batch was written
    }

    /// <summary>Indexes every backlogged message now; returns when they (and any pass already writing) are committed.</summary>
    internal async Task DrainTextBacklogAsync(CancellationToken cancellationToken)
    {
        lock (textBacklogGate)
        {
            if (textBacklog.Count == 0 && textBacklogWriter.CurrentCount > 0)
                return;
        }
        await textBacklogWriter.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                List<(long Id, long Origin)> batch;
                long epoch;
                lock (textBacklogGate)
                {
                    if (textBacklog.Count == 0)
                        return;
                    int take = Math.Min(IndexBatch, textBacklog.Count);
                    batch = textBacklog.GetRange(0, take);
                    textBacklog.RemoveRange(0, take);
                    textInFlight = batch;
                    epoch = textBacklogEpoch;
                }
                try
                {
                    await IndexTextAsync(batch, epoch, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // Committed (a search reading now sees the rows), or failed (the mailboxes are then no longer known
                    // as indexed, and the next search looks for messages without rows).
                    lock (textBacklogGate)
                        textInFlight = [];
                }
            }
        }
        finally
        {
            textBacklogWriter.Release();
        }
    }

    /// <summary>Indexes a backlog batch without an fsync of its own (the next durable commit, or the clean shutdown,
    /// carries it to disk); nothing if an append failed meanwhile, since its ids may have been given again (the next
    /// search rescans).</summary>
    Task<int> IndexTextAsync(List<(long Id, long Origin)> batch, long epoch, CancellationToken cancellationToken) =>
        WriteTextRowsAsync(batch, () =>
        {
            lock (textBacklogGate)
                return epoch == textBacklogEpoch;
        }, durable: false, cancellationToken);

    /// <summary>Reads the messages' files outside the write lock, then writes the text rows of those still without one
    /// (a message expunged meanwhile, or indexed by another pass, is skipped) in one transaction, if
    /// <paramref name="stillValid"/> holds then. Returns how many rows were written.</summary>
    async Task<int> WriteTextRowsAsync(IEnumerable<(long Id, long Origin)> messages, Func<bool> stillValid, bool durable, CancellationToken cancellationToken)
    {
        var extracted = new List<(long Id, IndexedText Text)>();
        foreach (var (id, origin) in messages)
        {
            cancellationToken.ThrowIfCancellationRequested();
            extracted.Add((id, ExtractFile(id, origin) ?? Unreadable));
        }
        return await WriteAsync((tx, _) =>
        {
            if (!stillValid())
                return 0;
            using var missing = tx.Command("SELECT count(*) FROM messages WHERE id = $id AND NOT EXISTS (SELECT 1 FROM message_meta WHERE message_id = $id)",
                ("$id", 0L));
            int written = 0;
            foreach (var (id, text) in extracted)
            {
                missing.Parameters["$id"].Value = id;
                if ((long)missing.ExecuteScalar()! == 0)
                    continue;
                InsertText(tx, id, text);
                written++;
            }
            return written;
        }, cancellationToken, durable).ConfigureAwait(false);
    }
}

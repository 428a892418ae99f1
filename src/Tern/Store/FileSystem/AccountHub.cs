using Tern.IO;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Store.FileSystem;

/// <summary>The one in-process owner of an account's mail: its index writer, write lock, change hub and maildrop locks.
/// Every <see cref="AccountHandle"/> of the account (IMAP sessions, POP3, delivery) shares it.</summary>
/// <remarks>Writes are serialized per account (one writer connection, SQLite transactions); reads use pooled connections
/// and run concurrently thanks to WAL. Appends commit in groups: each caller writes and fsyncs its own file, then one
/// of the waiting callers commits every queued append in one transaction (one directory fsync, one WAL fsync). Flag
/// changes and expunges commit without an fsync of their own (see <see cref="WriteAsync"/>).</remarks>
internal sealed partial class AccountHub : IAsyncDisposable
{
    readonly SemaphoreSlim writeLock = new(1, 1);
    readonly List<AccountHandle> handles = [];
    readonly ConcurrentDictionary<long, object> maildropLocks = new();
    readonly Func<long, CancellationToken, Task<long>> quotaLookup;
    readonly ILogger logger;
    SqliteConnection? writer;
    long quotaLimit;
    DateTime quotaFetched = DateTime.MinValue;
    readonly CancellationTokenSource lifetime = new();
    int snapshotRunning;
    int snapshotScheduled;
    volatile bool snapshotDirty;

    /// <summary>How long after a change the recovery snapshot is rewritten (changes in between share one rewrite).</summary>
    internal static TimeSpan SnapshotDelay { get; set; } = TimeSpan.FromMinutes(1);
    bool disposed;

    internal bool IsDisposed => disposed;

    public AccountHub(long accountId, string root, StoreOptions options, Func<long, CancellationToken, Task<long>> quotaLookup, ILogger logger)
    {
        AccountId = accountId;
        Root = root;
        Options = options;
        this.quotaLookup = quotaLookup;
        this.logger = logger;
        IndexPath = Path.Combine(root, "index.db");
        MessagesDirectory = Path.Combine(root, "messages");
        TempDirectory = Path.Combine(root, "tmp");
        ConnectionString = IndexDatabase.ConnectionString(IndexPath);
    }

    public long AccountId { get; }
    public string Root { get; }
    public StoreOptions Options { get; }
    public string IndexPath { get; }
    public string MessagesDirectory { get; }
    public string TempDirectory { get; }
    public string ConnectionString { get; }
    string CleanShutdownMarker => Path.Combine(Root, "clean-shutdown");
    internal ILogger Logger => logger;

    /// <summary>Creates the folders and the index (with INBOX and the special-use mailboxes on first use), rebuilding the
    /// index from the message files when it is missing or corrupt, then reconciles index and files.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(MessagesDirectory);
        Directory.CreateDirectory(TempDirectory);
        bool hasFiles = MessageFiles.Enumerate(MessagesDirectory).Any();
        if (!File.Exists(IndexPath) && hasFiles)
        {
            StoreLog.IndexMissing(logger, AccountId);
            Reindexer.Rebuild(this);
        }
        try
        {
            writer = IndexDatabase.OpenWriter(ConnectionString);
            using var check = writer.Command("SELECT count(*) FROM mailboxes");
            check.ExecuteScalar();
        }
        catch (SqliteException ex) when (IndexDatabase.IsCorruption(ex))
        {
            StoreLog.IndexCorrupt(logger, AccountId, ex.Message);
            writer?.Dispose();
            SqliteConnection.ClearPool(new SqliteConnection(ConnectionString));
            Reindexer.Rebuild(this);
            writer = IndexDatabase.OpenWriter(ConnectionString);
        }
        // A clean shutdown leaves a marker; without it (a crash), every file is checked against the index.
        bool clean = File.Exists(CleanShutdownMarker);
        if (clean)
        {
            File.Delete(CleanShutdownMarker);
            Durable.SyncDirectory(Root);
        }
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using (var tx = writer.BeginTransaction(deferred: false))
            {
                if (tx.Scalar("SELECT count(*) FROM mailboxes") == 0)
                    CreateDefaultMailboxes(tx);
                tx.Commit();
            }
            var report = Reconciler.Run(this, writer, apply: true, full: !clean);
            foreach (var line in report.Problems)
                StoreLog.Reconciled(logger, AccountId, line);
            if (!clean)
                RaiseModSeqsAfterCrash(writer);
            if (!File.Exists(RecoverySnapshot.MailboxesPath(Root)))
                RecoverySnapshot.WriteMailboxes(Root, writer);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>After a crash, flag changes committed without an fsync may be gone (see <see cref="WriteAsync"/>), and a
    /// MODSEQ a client saw may then be handed out again for another change. Every message therefore gets one new MODSEQ
    /// above all earlier ones: a CONDSTORE/QRESYNC client (RFC 7162) refetches the flags of the mailbox once, and no
    /// client keeps a flag state the server lost. One UPDATE, only after a crash.</summary>
    void RaiseModSeqsAfterCrash(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        long modSeq = tx.Bump("modseq");
        tx.Execute("UPDATE mailbox_messages SET modseq = $s", ("$s", modSeq));
        tx.Execute("UPDATE mailboxes SET highestmodseq = $s", ("$s", modSeq));
        tx.Commit();
    }

    void CreateDefaultMailboxes(SqliteTransaction tx)
    {
        // RFC 6154: the special-use mailboxes every new account gets, subscribed.
        (string Name, SpecialUse Use)[] defaults =
        [
            (MailboxNames.Inbox, SpecialUse.None), ("Sent", SpecialUse.Sent), ("Drafts", SpecialUse.Drafts),
            ("Trash", SpecialUse.Trash), ("Junk", SpecialUse.Junk), ("Archive", SpecialUse.Archive),
        ];
        foreach (var (name, use) in defaults)
        {
            InsertMailbox(tx, name, use);
            tx.Execute("INSERT OR IGNORE INTO subscriptions(name) VALUES ($n)", ("$n", name));
        }
    }

    internal static long InsertMailbox(SqliteTransaction tx, string name, SpecialUse use, bool noSelect = false)
    {
        uint uidValidity = tx.NextUidValidity();
        long modSeq = tx.Bump("modseq");
        return tx.Scalar("""
            INSERT INTO mailboxes(name, uidvalidity, uidnext, highestmodseq, special_use, noselect, recent_uid)
            VALUES ($n, $v, 1, $m, $s, $ns, 1) RETURNING id
            """, ("$n", name), ("$v", (long)uidValidity), ("$m", modSeq), ("$s", (int)use), ("$ns", noSelect ? 1 : 0));
    }

    public AccountHandle NewHandle()
    {
        var handle = new AccountHandle(this);
        lock (handles)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            handles.Add(handle);
        }
        return handle;
    }

    public void Release(AccountHandle handle)
    {
        lock (handles)
            handles.Remove(handle);
        foreach (var (mailboxId, owner) in maildropLocks)
            if (ReferenceEquals(owner, handle))
                maildropLocks.TryRemove(KeyValuePair.Create(mailboxId, owner));
    }

    /// <summary>A pooled read connection; WAL lets it read while the writer commits.</summary>
    public SqliteConnection OpenRead()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    internal sealed class WriteContext
    {
        public List<MailboxChange> Changes { get; } = [];
        public List<(long Id, long Origin)> FilesToDelete { get; } = [];
        public bool MailboxesChanged { get; set; }
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction under the account's write lock; after the commit,
    /// deletes files whose last placement went, and raises the change events.</summary>
    /// <param name="durable">True (the default) when the commit must be on disk before the caller replies: anything that
    /// gives a message a UID (append, copy, move) or shapes the mailbox tree. False for flag changes, expunges and the
    /// \Recent boundary: committed to the WAL without an fsync (SQLite synchronous=NORMAL), as Dovecot's default
    /// mail_fsync=optimized does. A process crash loses none of them (the WAL is in the page cache); an operating-system
    /// crash may lose the last ones: a flag change or an expunge is undone, never a message lost (an expunged file
    /// outlives the commit that expunged it). The next durable commit fsyncs the WAL with them. After such a crash the
    /// index is reconciled and every MODSEQ raised (<see cref="RaiseModSeqsAfterCrash"/>), so CONDSTORE clients resync.</param>
    public async Task<T> WriteAsync<T>(Func<SqliteTransaction, WriteContext, T> work, CancellationToken cancellationToken, bool durable = true)
    {
        var context = new WriteContext();
        T result;
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = Writer;
            if (!durable)
                connection.Execute("PRAGMA synchronous=NORMAL");
            try
            {
                using (var tx = connection.BeginTransaction(deferred: false))
                {
                    result = work(tx, context);
                    tx.Commit();
                }
            }
            catch (SqliteException ex) when (IndexDatabase.IsDiskFull(ex))
            {
                throw new MailStoreException(MailStoreError.DiskFull, "the disk is full");
            }
            finally
            {
                if (!durable)
                    connection.Execute("PRAGMA synchronous=FULL");
            }
            AfterCommit(connection, context);
        }
        finally
        {
            writeLock.Release();
        }
        Publish(context.Changes);
        return result;
    }

    void AfterCommit(SqliteConnection connection, WriteContext context)
    {
        if (context.FilesToDelete.Count > 0)
        {
            ForgetHeaders(context.FilesToDelete);
            foreach (var (id, origin) in context.FilesToDelete)
                Durable.TryDelete(MessageFiles.PathOf(MessagesDirectory, id, origin));
            // Not fsynced: if this bookkeeping is lost, reconcile deletes the (already deleted) files again.
            connection.Execute("PRAGMA synchronous=NORMAL");
            try
            {
                using var tx = connection.BeginTransaction(deferred: false);
                using var delete = tx.Command("DELETE FROM pending_deletes WHERE message_id = $id", ("$id", 0L));
                foreach (var (id, _) in context.FilesToDelete)
                {
                    delete.Parameters["$id"].Value = id;
                    delete.ExecuteNonQuery();
                }
                tx.Commit();
            }
            finally
            {
                connection.Execute("PRAGMA synchronous=FULL");
            }
        }
        if (context.MailboxesChanged)
        {
            try { RecoverySnapshot.WriteMailboxes(Root, connection); }
            catch (IOException ex) { StoreLog.SnapshotFailed(logger, AccountId, ex.Message); }
        }
        MarkDirty();
    }

    SqliteConnection Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed || writer is null, this);
            return writer!;
        }
    }

    /// <summary>Runs an action that needs the writer connection alone (reconcile, verify).</summary>
    public async Task<T> ExclusiveAsync<T>(Func<SqliteConnection, T> action, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return action(Writer); }
        finally
        {
            // Reconcile may have added messages from files, without search text.
            ForgetTextIndexed();
            writeLock.Release();
        }
    }

    public void Publish(IReadOnlyList<MailboxChange> changes)
    {
        if (changes.Count == 0) return;
        AccountHandle[] current;
        lock (handles) current = [.. handles];
        foreach (var change in changes)
        {
            foreach (var handle in current)
            {
                try { handle.Raise(change); }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    StoreLog.ChangeHandlerFailed(logger, AccountId, ex);
                }
            }
        }
    }

    /// <summary>The account's storage limit in octets (0: unlimited), looked up again after a minute so that a
    /// changed quota takes effect without a restart.</summary>
    public async ValueTask<long> QuotaLimitAsync(CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow - quotaFetched > TimeSpan.FromMinutes(1))
        {
            quotaLimit = await quotaLookup(AccountId, cancellationToken).ConfigureAwait(false);
            quotaFetched = DateTime.UtcNow;
        }
        return quotaLimit;
    }

    /// <summary>Forgets the cached quota (a test, or the CLI changing it).</summary>
    public void InvalidateQuota() => quotaFetched = DateTime.MinValue;

    public Task<IAsyncDisposable?> TryLockMaildrop(AccountHandle owner, long mailboxId)
    {
        if (!maildropLocks.TryAdd(mailboxId, owner))
            return Task.FromResult<IAsyncDisposable?>(null);
        return Task.FromResult<IAsyncDisposable?>(new MaildropLock(this, mailboxId, owner));
    }

    sealed class MaildropLock(AccountHub hub, long mailboxId, object owner) : IAsyncDisposable
    {
        int released;
        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
                hub.maildropLocks.TryRemove(KeyValuePair.Create(mailboxId, owner));
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Notes a change; the recovery snapshot is rewritten <see cref="SnapshotDelay"/> later, once for every
    /// change in between, so a busy account pays for one rewrite a minute, not one per change.</summary>
    void MarkDirty()
    {
        snapshotDirty = true;
        if (Interlocked.CompareExchange(ref snapshotScheduled, 1, 0) != 0) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(SnapshotDelay, lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Volatile.Write(ref snapshotScheduled, 0);
                return;
            }
            Volatile.Write(ref snapshotScheduled, 0);
            if (Interlocked.CompareExchange(ref snapshotRunning, 1, 0) != 0) return;
            try { WriteSnapshot(); }
            finally { Volatile.Write(ref snapshotRunning, 0); }
        });
    }

    /// <summary>Writes the recovery snapshot (placements and flags of every message) that reindex uses when the index is lost.</summary>
    public void WriteSnapshot()
    {
        if (disposed) return;
        try
        {
            snapshotDirty = false;
            using var connection = OpenRead();
            RecoverySnapshot.WriteFlags(Root, connection);
        }
        catch (Exception ex) when (ex is IOException or SqliteException or ObjectDisposedException)
        {
            snapshotDirty = true;
            StoreLog.SnapshotFailed(logger, AccountId, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (disposed) return;
            await lifetime.CancelAsync().ConfigureAwait(false);
            while (Volatile.Read(ref snapshotRunning) != 0)
                await Task.Delay(10).ConfigureAwait(false);
            if (snapshotDirty && writer is not null)
            {
                try { RecoverySnapshot.WriteFlags(Root, writer); }
                catch (Exception ex) when (ex is IOException or SqliteException) { StoreLog.SnapshotFailed(logger, AccountId, ex.Message); }
            }
            if (writer is not null)
            {
                // One fsynced commit puts every unsynced one (flag changes, expunges) on disk before the clean-shutdown
                // marker says nothing needs checking.
                try
                {
                    using var tx = writer.BeginTransaction(deferred: false);
                    WriteRecentClaims(tx); // the \Recent claims not yet written (AccountHub.Recent.cs)
                    tx.Execute("UPDATE meta SET value = value WHERE key = 'schema'");
                    tx.Commit();
                }
                catch (SqliteException ex) { StoreLog.SnapshotFailed(logger, AccountId, ex.Message); }
            }
            disposed = true;
            await RemoveSpareTempFileAsync().ConfigureAwait(false);
            CloseReadState();
            bool hadWriter = writer is not null;
            writer?.Dispose();
            writer = null;
            SqliteConnection.ClearPool(new SqliteConnection(ConnectionString));
            if (hadWriter && Directory.Exists(Root))
            {
                try
                {
                    File.WriteAllBytes(CleanShutdownMarker, []);
                    Durable.SyncDirectory(Root);
                }
                catch (IOException ex) { StoreLog.SnapshotFailed(Logger, AccountId, ex.Message); }
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>The per-account index (SQLite, WAL): mailboxes, message placements with UIDs, flags and MODSEQs, the parsed
/// structure of each message file, expunge records for QRESYNC, subscriptions and counters. Everything but the message
/// octets; it maps one-to-one onto rows of the later shared (PostgreSQL) backend.</summary>
internal static class IndexDatabase
{
    public const int SchemaVersion = 3;

    const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        -- AUTOINCREMENT: a mailbox id is never reused, since message file names remember the mailbox they were stored in.
        CREATE TABLE IF NOT EXISTS mailboxes(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            uidvalidity INTEGER NOT NULL,
            uidnext INTEGER NOT NULL,
            highestmodseq INTEGER NOT NULL,
            special_use INTEGER NOT NULL DEFAULT 0,
            noselect INTEGER NOT NULL DEFAULT 0,
            recent_uid INTEGER NOT NULL DEFAULT 1);
        CREATE TABLE IF NOT EXISTS subscriptions(name TEXT PRIMARY KEY) WITHOUT ROWID;
        -- One row per message file; refcount = placements in mailbox_messages (copies share the file).
        CREATE TABLE IF NOT EXISTS messages(
            id INTEGER PRIMARY KEY,
            origin_mailbox INTEGER NOT NULL,
            size INTEGER NOT NULL,
            refcount INTEGER NOT NULL,
            structure BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS mailbox_messages(
            mailbox_id INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            flags INTEGER NOT NULL,
            keywords TEXT,
            modseq INTEGER NOT NULL,
            internaldate INTEGER NOT NULL,
            tz INTEGER NOT NULL,
            savedate INTEGER NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS mailbox_messages_modseq ON mailbox_messages(mailbox_id, modseq);
        CREATE INDEX IF NOT EXISTS mailbox_messages_message ON mailbox_messages(message_id);
        CREATE TABLE IF NOT EXISTS expunged(
            mailbox_id INTEGER NOT NULL, uid INTEGER NOT NULL, modseq INTEGER NOT NULL,
            PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;
        -- Files whose last placement was expunged: deleted after the commit; reconcile finishes the job after a crash.
        CREATE TABLE IF NOT EXISTS pending_deletes(message_id INTEGER PRIMARY KEY);
        -- Import ledger: content hashes already imported into a mailbox, so a second import run adds nothing.
        CREATE TABLE IF NOT EXISTS import_keys(mailbox_id INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY(mailbox_id, key)) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', 1), ('modseq', 1), ('next_message_id', 1),
            ('uidvalidity', 0), ('storage_used', 0), ('message_count', 0);
        """;

    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 60,
    }.ToString();

    /// <summary>Opens the writer connection: WAL, and synchronous=FULL so that a commit is on disk when it returns.</summary>
    public static SqliteConnection OpenWriter(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;");
        connection.Execute(Schema);
        Migrate(connection);
        CacheStatements(connection);
        return connection;
    }

    /// <summary>Brings an index of an older version up to <see cref="SchemaVersion"/>. Every step is idempotent and
    /// runs on every open, so indexes that skipped a step (branches merged in any order) still get it.</summary>
    static void Migrate(SqliteConnection connection)
    {
        MigrateVersion3TextIndex(connection);
        // Messages whose text the index keeps only in part: every text search looks them up, and they are few.
        connection.Execute("CREATE INDEX IF NOT EXISTS message_meta_truncated ON message_meta(message_id) WHERE truncated = 1");
        MigrateSelectIndexes(connection);
        MigrateHeaderFieldsIndex(connection);
        connection.Execute("UPDATE meta SET value = max(value, $v) WHERE key = 'schema'", ("$v", SchemaVersion));
    }

    /// <summary>The subject and addressing fields (folded, as in message_text) in a text index of their own: a SUBJECT,
    /// FROM, TO, CC or BCC search reads the short doclists of these fields only. In message_text the trigrams of a
    /// common word list every position in every body, and a search read them all, from the file again after every
    /// write (a commit empties the page cache of every read connection): 5 to 9 ms on 1,000 messages, against 0.4 ms
    /// here. An index from before gets the rows from message_text's content once.</summary>
    static void MigrateHeaderFieldsIndex(SqliteConnection connection)
    {
        bool existed = connection.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'message_fields'") > 0;
        using var tx = connection.BeginTransaction(deferred: false);
        tx.Execute("""
            CREATE VIRTUAL TABLE IF NOT EXISTS message_fields USING fts5(
                subject, hfrom, hto, hcc, hbcc, tokenize = 'trigram case_sensitive 1', detail = 'full');
            CREATE TRIGGER IF NOT EXISTS messages_fields_cleanup AFTER DELETE ON messages BEGIN
                DELETE FROM message_fields WHERE rowid = old.id;
            END;
            """);
        if (!existed)
            tx.Execute("INSERT INTO message_fields(rowid, subject, hfrom, hto, hcc, hbcc) SELECT id, c0, c1, c2, c3, c4 FROM message_text_content");
        tx.Commit();
    }

    /// <summary>What SELECT and a QRESYNC reselect ask of a mailbox, answered without a walk over all of its messages:
    /// the keywords in use (few messages carry any), the first unseen message (RFC 3501 UNSEEN code), and the UIDs
    /// expunged since a MODSEQ (RFC 7162 VANISHED). The first two are partial indexes, so messages without keywords
    /// and seen messages cost nothing in them.</summary>
    static void MigrateSelectIndexes(SqliteConnection connection) => connection.Execute($"""
        CREATE INDEX IF NOT EXISTS mailbox_messages_keywords ON mailbox_messages(mailbox_id, keywords) WHERE keywords IS NOT NULL;
        CREATE INDEX IF NOT EXISTS mailbox_messages_unseen ON mailbox_messages(mailbox_id, uid) WHERE {UnseenCondition};
        CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(mailbox_id, modseq);
        """);

    /// <summary>The condition of the unseen index: a query uses that index only when its WHERE has this very term.</summary>
    internal static readonly string UnseenCondition = $"(flags & {(int)MessageFlags.Seen}) = 0";

    /// <summary>Version 3: the search text index and the SORT/THREAD fields, one row per message file (copies share
    /// it). Rows are written at append; messages of older indexes are indexed lazily by the first search or sort
    /// (<see cref="AccountHub.EnsureTextIndexedAsync"/>), or by <c>tern store reindex</c>.</summary>
    static void MigrateVersion3TextIndex(SqliteConnection connection) => connection.Execute("""
        -- Folded text (i;unicode-casemap); trigram: any substring of 3+ characters is an index lookup.
        CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5(
            subject, hfrom, hto, hcc, hbcc, headers, body, tokenize = 'trigram case_sensitive 1', detail = 'full');
        CREATE TABLE IF NOT EXISTS message_meta(
            message_id INTEGER PRIMARY KEY,
            truncated INTEGER NOT NULL,
            sent_date INTEGER,
            subject TEXT,
            from_name TEXT, from_mailbox TEXT, from_host TEXT,
            to_name TEXT, to_mailbox TEXT, to_host TEXT,
            cc_name TEXT, cc_mailbox TEXT, cc_host TEXT,
            msgid TEXT, in_reply_to TEXT, refs TEXT);
        CREATE TRIGGER IF NOT EXISTS messages_text_cleanup AFTER DELETE ON messages BEGIN
            DELETE FROM message_text WHERE rowid = old.id;
            DELETE FROM message_meta WHERE message_id = old.id;
        END;
        """);

    public static void Execute(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        if (StatementCaches.TryGetValue(connection, out var cache))
            return CachedCommand.Rent(connection, cache, sql, parameters);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Connections whose commands keep their prepared statements (the writer: it lives as long as its hub).</summary>
    static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, CachedCommand>> StatementCaches = new();

    /// <summary>From now on, <see cref="Command(SqliteConnection, string, ValueTuple{string, object}[])"/> on this connection
    /// hands out one prepared command per SQL text, again and again: Microsoft.Data.Sqlite prepares a new command's
    /// statement afresh, and a flag change runs half a dozen statements. Only for a connection used by one caller at
    /// a time (the writer, under the write lock).</summary>
    public static void CacheStatements(SqliteConnection connection) => StatementCaches.AddOrUpdate(connection, new(StringComparer.Ordinal));

    /// <summary>A command that disposing gives back to its connection's cache, keeping its prepared statement.</summary>
    sealed class CachedCommand : SqliteCommand
    {
        bool inUse;

        public static SqliteCommand Rent(SqliteConnection connection, Dictionary<string, CachedCommand> cache, string sql, (string Name, object? Value)[] parameters)
        {
            if (cache.TryGetValue(sql, out var cached))
            {
                // In use (the same SQL nested) or asked with other parameters: a plain command of its own.
                if (cached.inUse || cached.Parameters.Count != parameters.Length)
                    return Plain(connection, sql, parameters);
                foreach (var (name, value) in parameters)
                {
                    int i = cached.Parameters.IndexOf(name);
                    if (i < 0)
                        return Plain(connection, sql, parameters);
                    cached.Parameters[i].Value = value ?? DBNull.Value;
                }
                cached.Transaction = null;
                cached.inUse = true;
                return cached;
            }
            cached = new CachedCommand { Connection = connection, CommandText = sql, inUse = true };
            foreach (var (name, value) in parameters)
                cached.Parameters.AddWithValue(name, value ?? DBNull.Value);
            cache[sql] = cached;
            return cached;
        }

        static SqliteCommand Plain(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return command;
        }

        protected override void Dispose(bool disposing)
        {
            // Kept: the statement stays prepared; the connection finalizes it when it closes. The values (a message's
            // text, its structure) are not kept alive.
            if (disposing)
            {
                foreach (SqliteParameter parameter in Parameters)
                    parameter.Value = DBNull.Value;
                Transaction = null;
            }
            inUse = false;
        }
    }

    public static SqliteCommand Command(this SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = transaction.Connection!.Command(sql, parameters);
        command.Transaction = transaction;
        return command;
    }

    public static int Execute(this SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = transaction.Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static long Scalar(this SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = transaction.Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static long Scalar(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Adds <paramref name="delta"/> to a counter in meta and returns the new value.</summary>
    public static long Bump(this SqliteTransaction transaction, string key, long delta = 1) =>
        transaction.Scalar("UPDATE meta SET value = value + $d WHERE key = $k RETURNING value", ("$d", delta), ("$k", key));

    public static long Meta(this SqliteTransaction transaction, string key) =>
        transaction.Scalar("SELECT value FROM meta WHERE key = $k", ("$k", key));

    public static void SetMeta(this SqliteTransaction transaction, string key, long value) =>
        transaction.Execute("INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = $v", ("$k", key), ("$v", value));

    /// <summary>RFC 3501 2.3.1.1: a new UIDVALIDITY, strictly greater than any this account handed out (time-based, so also
    /// greater than those of an index that was lost and rebuilt).</summary>
    public static uint NextUidValidity(this SqliteTransaction transaction)
    {
        long last = transaction.Meta("uidvalidity");
        long now = Math.Clamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1, uint.MaxValue - 1);
        long next = Math.Max(now, last + 1);
        if (next > uint.MaxValue) next = 1;
        transaction.SetMeta("uidvalidity", next);
        return (uint)next;
    }

    public static bool IsCorruption(SqliteException ex) => ex.SqliteErrorCode is 11 or 26; // SQLITE_CORRUPT, SQLITE_NOTADB
    public static bool IsDiskFull(SqliteException ex) => ex.SqliteErrorCode is 13; // SQLITE_FULL
}

using Microsoft.Data.Sqlite;
using Tern.Store.Search;

namespace Tern.Store.FileSystem;

/// <summary>The text index (FTS5 trigram over folded text) and the SORT/THREAD fields: written for appended messages
/// shortly after their commit (the text backlog in AccountHub.Append.cs), filled lazily for messages of an index that predates it, and read by SEARCH, SORT and THREAD.</summary>
internal sealed partial class AccountHub
{
    /// <summary>Messages text-indexed per write transaction while catching up.</summary>
    const int IndexBatch = 200;

    internal sealed record IndexedText(MessageText Text, MessageSortFields Sort);

    /// <summary>Mailboxes (0: the whole account) known to have search text for every message.</summary>
    readonly HashSet<long> textIndexed = [];
    long textIndexGeneration;

    void ForgetTextIndexed(long? mailboxId = null)
    {
        lock (textIndexed)
        {
            textIndexGeneration++;
            if (mailboxId is { } id)
            {
                textIndexed.Remove(id);
                textIndexed.Remove(0);
            }
            else
                textIndexed.Clear();
        }
    }

    /// <summary>What a message that cannot be read or parsed is indexed as: no text, no sort fields (a scan of it matches
    /// nothing either).</summary>
    internal static readonly IndexedText Unreadable = new(
        new MessageText("", "", "", "", "", "", "", false), new MessageSortFields(null, null, null, null, null, null, null, []));

    /// <summary>Extracts a message's text and sort fields, or <see cref="Unreadable"/>.</summary>
    internal IndexedText Extract(Stream seekable)
    {
        try
        {
            var (text, sort) = MessageTextExtractor.Extract(seekable);
            return new IndexedText(text, sort);
        }
        catch (Exception ex) when (ex is IOException or FormatException or NotSupportedException or ArgumentException)
        {
            StoreLog.TextIndexFailed(logger, AccountId, 0, ex.Message);
            return Unreadable;
        }
    }

    /// <summary>Extracts a stored message's text and sort fields; null when the file cannot be read or parsed.</summary>
    internal IndexedText? ExtractFile(long id, long origin, int maxBody = MessageTextExtractor.MaxBodyChars, int maxHeader = MessageTextExtractor.MaxHeaderChars)
    {
        try
        {
            using var file = new FileStream(MessageFiles.PathOf(MessagesDirectory, id, origin), new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 16384,
            });
            var (text, sort) = MessageTextExtractor.Extract(file, maxBody, maxHeader);
            return new IndexedText(text, sort);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or NotSupportedException or ArgumentException)
        {
            StoreLog.TextIndexFailed(logger, AccountId, id, ex.Message);
            return null;
        }
    }

    /// <summary>Writes the text and sort rows of one message file (inside the caller's transaction).</summary>
    internal static void InsertText(SqliteTransaction tx, long messageId, IndexedText indexed)
    {
        var (t, s) = (indexed.Text, indexed.Sort);
        tx.Execute("INSERT INTO message_text(rowid, subject, hfrom, hto, hcc, hbcc, headers, body) VALUES ($id, $s, $f, $t, $c, $b, $h, $body)",
            ("$id", messageId), ("$s", t.Subject), ("$f", t.From), ("$t", t.To), ("$c", t.Cc), ("$b", t.Bcc), ("$h", t.Headers), ("$body", t.Body));
        tx.Execute("INSERT OR REPLACE INTO message_fields(rowid, subject, hfrom, hto, hcc, hbcc) VALUES ($id, $s, $f, $t, $c, $b)",
            ("$id", messageId), ("$s", t.Subject), ("$f", t.From), ("$t", t.To), ("$c", t.Cc), ("$b", t.Bcc));
        tx.Execute("""
            INSERT INTO message_meta(message_id, truncated, sent_date, subject, from_name, from_mailbox, from_host, to_name, to_mailbox, to_host,
                cc_name, cc_mailbox, cc_host, msgid, in_reply_to, refs)
            VALUES ($id, $tr, $d, $s, $fn, $fm, $fh, $tn, $tm, $th, $cn, $cm, $ch, $mid, $irt, $refs)
            """,
            ("$id", messageId), ("$tr", t.Truncated ? 1 : 0), ("$d", s.SentDate?.ToUnixTimeSeconds()), ("$s", s.Subject),
            ("$fn", s.From?.Name), ("$fm", s.From?.Mailbox), ("$fh", s.From?.Host),
            ("$tn", s.To?.Name), ("$tm", s.To?.Mailbox), ("$th", s.To?.Host),
            ("$cn", s.Cc?.Name), ("$cm", s.Cc?.Mailbox), ("$ch", s.Cc?.Host),
            ("$mid", s.MessageId), ("$irt", s.InReplyTo), ("$refs", s.References.Count == 0 ? null : string.Join(' ', s.References)));
    }

    /// <summary>Indexes the messages of a mailbox (every mailbox when null) that have no text row yet: an index from
    /// before version 3, or rows lost to a rebuild. Files are read outside the write lock; rows go in in batches.</summary>
    /// <param name="drainBacklog">False for a text search, which matches the backlogged messages from their files
    /// (<see cref="PendingTextMessages"/>); a sort needs their rows.</param>
    internal async Task<int> EnsureTextIndexedAsync(long? mailboxId, CancellationToken cancellationToken, bool drainBacklog = true)
    {
        // Appended messages wait in the text backlog (AccountHub.Append.cs) until a background pass indexes them; drain it
        // first (or leave it to the caller), and once a mailbox has been caught up it stays so. Only reconcile (at open,
        // or verify), copies from a mailbox not caught up, and a failed backlog pass leave messages without text, and
        // they clear this.
        if (drainBacklog)
            await DrainTextBacklogAsync(cancellationToken).ConfigureAwait(false);
        long generation;
        lock (textIndexed)
        {
            if (textIndexed.Contains(mailboxId ?? 0))
                return 0;
            generation = textIndexGeneration;
        }
        List<(long Id, long Origin)> missing = [];
        using (var connection = OpenRead())
        {
            using var command = connection.Command($"""
                SELECT DISTINCT m.id, m.origin_mailbox FROM messages m
                {(mailboxId is null ? "" : "JOIN mailbox_messages mm ON mm.message_id = m.id AND mm.mailbox_id = $m")}
                WHERE NOT EXISTS (SELECT 1 FROM message_meta t WHERE t.message_id = m.id)
                """, ("$m", mailboxId ?? 0));
            using var r = command.ExecuteReader();
            while (r.Read()) missing.Add((r.GetInt64(0), r.GetInt64(1)));
        }
        int indexed = 0;
        foreach (var chunk in missing.Chunk(IndexBatch))
            indexed += await WriteTextRowsAsync(chunk, static () => true, durable: true, cancellationToken).ConfigureAwait(false);
        if (indexed > 0)
            StoreLog.TextIndexed(logger, AccountId, indexed);
        lock (textIndexed)
        {
            // A copy or reconcile while this ran may have brought in messages it did not see.
            if (generation == textIndexGeneration)
                textIndexed.Add(mailboxId ?? 0);
        }
        return indexed;
    }

    static readonly Dictionary<TextSearchField, string> Columns = new()
    {
        [TextSearchField.Subject] = "subject", [TextSearchField.From] = "hfrom", [TextSearchField.To] = "hto",
        [TextSearchField.Cc] = "hcc", [TextSearchField.Bcc] = "hbcc", [TextSearchField.Header] = "headers",
        [TextSearchField.Body] = "body", [TextSearchField.Text] = "headers, body",
    };

    /// <summary>The column of message_text_content holding each field (the order of message_text's declaration).</summary>
    static readonly Dictionary<TextSearchField, int> ContentColumn = new()
    {
        [TextSearchField.Subject] = 0, [TextSearchField.From] = 1, [TextSearchField.To] = 2, [TextSearchField.Cc] = 3,
        [TextSearchField.Bcc] = 4, [TextSearchField.Header] = 5, [TextSearchField.Body] = 6,
    };

    public async Task<IReadOnlySet<long>> SearchTextAsync(long mailboxId, TextSearchQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        // The backlog is taken before the index is read: a message leaves it only once its rows are committed, so every
        // message is either found by the index below or matched from its file here (or both).
        var pending = PendingTextMessages();
        await EnsureTextIndexedAsync(mailboxId, cancellationToken, drainBacklog: false).ConfigureAwait(false);
        string needle = UnicodeCasemap.Fold(query.Value);
        string? prefix = query.Field == TextSearchField.Header ? TextMatcher.HeaderPrefix(query.HeaderName ?? "") : null;
        string columns = Columns[query.Field];
        var result = new HashSet<long>();
        using var connection = OpenRead();
        if (pending.Count > 0)
            MatchPending(connection, mailboxId, pending, query.Field, needle, prefix, result);
        // A trigram phrase matches exactly the texts that contain the needle as a substring (consecutive trigrams), so
        // with 3+ characters the index finds every candidate; shorter needles read the stored text of every message.
        // Either way TextMatcher decides, on the same folded text a scan would produce.
        bool useIndex = needle.EnumerateRunes().Count() >= 3;
        // The text is read from FTS5's content table (columns c0..c6 in declaration order), not through the virtual
        // table, which loads every column of a row (the body too) to give one. The subject and addressing fields have
        // an index of their own, message_fields (the same columns c0..c4), with short doclists.
        bool fieldsIndex = query.Field is TextSearchField.Subject or TextSearchField.From or TextSearchField.To
            or TextSearchField.Cc or TextSearchField.Bcc;
        string table = fieldsIndex ? "message_fields" : "message_text";
        string select = query.Field == TextSearchField.Text ? "c.c5, c.c6" : "c.c" + ContentColumn[query.Field];
        // With MATCH, the text index is the outer loop (CROSS JOIN fixes SQLite's join order): left to itself, the
        // planner ran one MATCH per message of the mailbox, a hundred times slower on 1,000 messages.
        string sql = useIndex
            ? $"""
                SELECT mm.uid, mt.truncated, {select} FROM {table} t
                CROSS JOIN mailbox_messages mm ON mm.message_id = t.rowid AND mm.mailbox_id = $m
                JOIN message_meta mt ON mt.message_id = mm.message_id
                JOIN {table}_content c ON c.id = t.rowid
                WHERE {table} MATCH $q
                """
            : $"""
                SELECT mm.uid, mt.truncated, {select} FROM mailbox_messages mm
                JOIN {table}_content c ON c.id = mm.message_id
                JOIN message_meta mt ON mt.message_id = mm.message_id
                WHERE mm.mailbox_id = $m
                """;
        string match = (query.Field == TextSearchField.Text ? "{headers body}" : columns) + " : \"" + needle.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        using (var command = connection.Command(sql, ("$m", mailboxId), ("$q", match)))
        using (var r = command.ExecuteReader())
        {
            while (r.Read())
            {
                var text = query.Field switch
                {
                    TextSearchField.Text or TextSearchField.Header or TextSearchField.Body => new MessageText("", "", "", "", "",
                        query.Field == TextSearchField.Body ? "" : r.GetString(2),
                        query.Field == TextSearchField.Text ? r.GetString(3) : query.Field == TextSearchField.Body ? r.GetString(2) : "", false),
                    _ => Only(query.Field, r.GetString(2)),
                };
                if (TextMatcher.Matches(text, query.Field, needle, prefix))
                    result.Add(r.GetInt64(0));
            }
        }
        // Messages with more text than the index keeps: what the index did not find may lie past the cap.
        var truncated = new List<(long Uid, long Id, long Origin)>();
        // From the few truncated messages (a partial index) to the mailbox's placements, not the other way round.
        using (var command = connection.Command("""
            SELECT mm.uid, m.id, m.origin_mailbox FROM message_meta mt
            CROSS JOIN mailbox_messages mm ON mm.message_id = mt.message_id AND mm.mailbox_id = $m
            JOIN messages m ON m.id = mm.message_id WHERE mt.truncated = 1
            """, ("$m", mailboxId)))
        using (var r = command.ExecuteReader())
        {
            while (r.Read())
            {
                if (!result.Contains(r.GetInt64(0)))
                    truncated.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
            }
        }
        foreach (var (uid, id, origin) in truncated)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ExtractFile(id, origin, int.MaxValue, int.MaxValue) is { } full && TextMatcher.Matches(full.Text, query.Field, needle, prefix))
                result.Add(uid);
        }
        return result;
    }

    /// <summary>Matches the messages whose text rows are still pending against their files, as <see cref="ScanText"/>
    /// does (no cap); a header field's search reads no body text.</summary>
    void MatchPending(SqliteConnection connection, long mailboxId, List<(long Id, long Origin)> pending, TextSearchField field,
        string needle, string? prefix, HashSet<long> result)
    {
        bool needsBody = field is TextSearchField.Body or TextSearchField.Text;
        using var placements = connection.Command("SELECT uid FROM mailbox_messages WHERE message_id = $id AND mailbox_id = $m",
            ("$id", 0L), ("$m", mailboxId));
        var uids = new List<long>();
        foreach (var (id, origin) in pending.DistinctBy(p => p.Id))
        {
            // Only the messages in this mailbox (an append elsewhere, or one expunged meanwhile, has no placement here).
            uids.Clear();
            placements.Parameters["$id"].Value = id;
            using (var r = placements.ExecuteReader())
            {
                while (r.Read())
                    uids.Add(r.GetInt64(0));
            }
            if (uids.Count == 0)
                continue;
            if (ExtractFile(id, origin, needsBody ? int.MaxValue : 0, int.MaxValue) is { } text && TextMatcher.Matches(text.Text, field, needle, prefix))
                result.UnionWith(uids);
        }
    }

    static MessageText Only(TextSearchField field, string value) => field switch
    {
        TextSearchField.Subject => new MessageText(value, "", "", "", "", "", "", false),
        TextSearchField.From => new MessageText("", value, "", "", "", "", "", false),
        TextSearchField.To => new MessageText("", "", value, "", "", "", "", false),
        TextSearchField.Cc => new MessageText("", "", "", value, "", "", "", false),
        _ => new MessageText("", "", "", "", value, "", "", false),
    };

    /// <summary>The unindexed evaluation: every message of the mailbox extracted from its file without a cap and
    /// matched. What <see cref="SearchTextAsync"/> must equal; used by tests and by <c>tern store verify</c>-style checks.</summary>
    internal IReadOnlySet<long> ScanText(long mailboxId, TextSearchQuery query)
    {
        string needle = UnicodeCasemap.Fold(query.Value);
        string? prefix = query.Field == TextSearchField.Header ? TextMatcher.HeaderPrefix(query.HeaderName ?? "") : null;
        var files = new List<(long Uid, long Id, long Origin)>();
        using (var connection = OpenRead())
        using (var command = connection.Command("""
            SELECT mm.uid, m.id, m.origin_mailbox FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id WHERE mm.mailbox_id = $m
            """, ("$m", mailboxId)))
        using (var r = command.ExecuteReader())
        {
            while (r.Read()) files.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
        }
        var result = new HashSet<long>();
        foreach (var (uid, id, origin) in files)
        {
            if (ExtractFile(id, origin, int.MaxValue, int.MaxValue) is { } full && TextMatcher.Matches(full.Text, query.Field, needle, prefix))
                result.Add(uid);
        }
        return result;
    }
}

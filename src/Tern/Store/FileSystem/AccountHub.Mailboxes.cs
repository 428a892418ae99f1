using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Mailbox operations: list, create, delete, rename, subscriptions, status.</summary>
internal sealed partial class AccountHub
{
    internal sealed record MailboxRow(long Id, string Name, uint UidValidity, long UidNext, long HighestModSeq, SpecialUse Use, bool NoSelect, long RecentUid);

    const string MailboxColumns = "id, name, uidvalidity, uidnext, highestmodseq, special_use, noselect, recent_uid";

    static MailboxRow ReadMailbox(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), (uint)r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), (SpecialUse)r.GetInt32(5), r.GetInt64(6) != 0, r.GetInt64(7));

    internal static SqliteCommand Cmd(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string, object?)[] parameters)
    {
        var command = connection.Command(sql, parameters);
        command.Transaction = tx;
        return command;
    }

    internal static MailboxRow? FindMailbox(SqliteConnection connection, SqliteTransaction? tx, string normalizedName)
    {
        using var command = Cmd(connection, tx, $"SELECT {MailboxColumns} FROM mailboxes WHERE name = $n", ("$n", normalizedName));
        using var r = command.ExecuteReader();
        return r.Read() ? ReadMailbox(r) : null;
    }

    internal static MailboxRow? FindMailbox(SqliteConnection connection, SqliteTransaction? tx, long id)
    {
        using var command = Cmd(connection, tx, $"SELECT {MailboxColumns} FROM mailboxes WHERE id = $id", ("$id", id));
        using var r = command.ExecuteReader();
        return r.Read() ? ReadMailbox(r) : null;
    }

    internal static List<MailboxRow> AllMailboxes(SqliteConnection connection, SqliteTransaction? tx)
    {
        using var command = Cmd(connection, tx, $"SELECT {MailboxColumns} FROM mailboxes ORDER BY name");
        using var r = command.ExecuteReader();
        var list = new List<MailboxRow>();
        while (r.Read()) list.Add(ReadMailbox(r));
        return list;
    }

    static MailboxInfo Info(SqliteConnection connection, SqliteTransaction? tx, MailboxRow row)
    {
        // Names below "x" sort in ["x/", "x0"): '0' follows '/' in ASCII.
        using var children = Cmd(connection, tx, "SELECT EXISTS(SELECT 1 FROM mailboxes WHERE name > $a AND name < $b)",
            ("$a", row.Name + "/"), ("$b", row.Name + "0"));
        bool hasChildren = children.ExecuteScalar() is long c && c != 0;
        using var subscription = Cmd(connection, tx, "SELECT EXISTS(SELECT 1 FROM subscriptions WHERE name = $n)", ("$n", row.Name));
        bool subscribed = subscription.ExecuteScalar() is long s && s != 0;
        return ToInfo(row, subscribed, hasChildren);
    }

    static MailboxInfo ToInfo(MailboxRow row, bool subscribed, bool hasChildren) =>
        new(row.Id, row.Name, row.UidValidity, row.UidNext, row.HighestModSeq, row.Use, subscribed, hasChildren, row.NoSelect);

    string Normalize(string name) => MailboxNames.Normalize(name, Options);

    public Task<IReadOnlyList<MailboxInfo>> ListMailboxesAsync(CancellationToken cancellationToken)
    {
        using var connection = OpenRead();
        var rows = AllMailboxes(connection, null);
        var subscriptions = ReadSubscriptions(connection);
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
            foreach (var ancestor in MailboxNames.Ancestors(row.Name))
                parents.Add(ancestor);
        IReadOnlyList<MailboxInfo> list = rows.Select(r => ToInfo(r, subscriptions.Contains(r.Name), parents.Contains(r.Name))).ToList();
        return Task.FromResult(list);
    }

    static HashSet<string> ReadSubscriptions(SqliteConnection connection)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        using var command = connection.Command("SELECT name FROM subscriptions");
        using var r = command.ExecuteReader();
        while (r.Read()) set.Add(r.GetString(0));
        return set;
    }

    public Task<MailboxInfo?> GetMailboxAsync(string name, CancellationToken cancellationToken)
    {
        var normalized = Normalize(name);
        using var connection = OpenRead();
        var row = FindMailbox(connection, null, normalized);
        return Task.FromResult(row is null ? null : Info(connection, null, row));
    }

    public Task<MailboxInfo> CreateMailboxAsync(string name, SpecialUse specialUse, CancellationToken cancellationToken)
    {
        var normalized = Normalize(name);
        return WriteAsync((tx, context) =>
        {
            var connection = tx.Connection!;
            var existing = FindMailbox(connection, tx, normalized);
            if (existing is not null && !existing.NoSelect)
                throw new MailStoreException(MailStoreError.AlreadyExists, $"mailbox {normalized} already exists");
            // RFC 3501 6.3.3: superior hierarchical names are created too.
            foreach (var ancestor in MailboxNames.Ancestors(normalized))
                EnsureMailbox(tx, context, ancestor);
            long id;
            if (existing is not null)
            {
                // A \Noselect placeholder becomes a real mailbox: a new UIDVALIDITY, as for any new mailbox.
                id = existing.Id;
                tx.Execute("UPDATE mailboxes SET noselect = 0, special_use = $s, uidvalidity = $v, highestmodseq = $m WHERE id = $id",
                    ("$s", (int)specialUse), ("$v", (long)tx.NextUidValidity()), ("$m", tx.Bump("modseq")), ("$id", id));
            }
            else
            {
                id = InsertMailbox(tx, normalized, specialUse);
            }
            context.MailboxesChanged = true;
            var row = FindMailbox(connection, tx, id)!;
            context.Changes.Add(new MailboxChange(id, normalized, MailboxChangeKind.MailboxCreated, [], row.HighestModSeq));
            return Info(connection, tx, row);
        }, cancellationToken);
    }

    static void EnsureMailbox(SqliteTransaction tx, WriteContext context, string name)
    {
        if (FindMailbox(tx.Connection!, tx, name) is not null) return;
        long id = InsertMailbox(tx, name, SpecialUse.None);
        context.MailboxesChanged = true;
        context.Changes.Add(new MailboxChange(id, name, MailboxChangeKind.MailboxCreated, [], tx.Meta("modseq")));
    }

    public Task DeleteMailboxAsync(string name, CancellationToken cancellationToken)
    {
        var normalized = Normalize(name);
        if (MailboxNames.IsInbox(normalized))
            throw new MailStoreException(MailStoreError.NotAllowed, "INBOX cannot be deleted");
        return WriteAsync((tx, context) =>
        {
            var connection = tx.Connection!;
            var row = FindMailbox(connection, tx, normalized)
                ?? throw new MailStoreException(MailStoreError.NotFound, $"no mailbox {normalized}");
            bool hasChildren = Info(connection, tx, row).HasChildren;
            // RFC 3501 6.3.4: deleting a \Noselect name that still has inferiors is an error.
            if (hasChildren && row.NoSelect)
                throw new MailStoreException(MailStoreError.NotAllowed, $"{normalized} has child mailboxes");
            var placements = Placements(tx, row.Id, null);
            long modSeq = tx.Bump("modseq");
            DetachMessages(tx, context, placements);
            tx.Execute("DELETE FROM mailbox_messages WHERE mailbox_id = $id", ("$id", row.Id));
            tx.Execute("DELETE FROM expunged WHERE mailbox_id = $id", ("$id", row.Id));
            tx.Execute("DELETE FROM import_keys WHERE mailbox_id = $id", ("$id", row.Id));
            if (hasChildren)
                tx.Execute("UPDATE mailboxes SET noselect = 1, highestmodseq = $m WHERE id = $id", ("$m", modSeq), ("$id", row.Id));
            else
                tx.Execute("DELETE FROM mailboxes WHERE id = $id", ("$id", row.Id));
            context.MailboxesChanged = true;
            context.Changes.Add(new MailboxChange(row.Id, normalized, MailboxChangeKind.MailboxDeleted, placements.Select(p => p.Uid).ToList(), modSeq));
            return 0;
        }, cancellationToken);
    }

    public Task RenameMailboxAsync(string oldName, string newName, CancellationToken cancellationToken)
    {
        var from = Normalize(oldName);
        var to = Normalize(newName);
        if (MailboxNames.IsSameOrBelow(to, from))
            throw new MailStoreException(MailStoreError.NotAllowed, $"cannot rename {from} into itself");
        return WriteAsync((tx, context) =>
        {
            var connection = tx.Connection!;
            var row = FindMailbox(connection, tx, from)
                ?? throw new MailStoreException(MailStoreError.NotFound, $"no mailbox {from}");
            if (FindMailbox(connection, tx, to) is not null)
                throw new MailStoreException(MailStoreError.AlreadyExists, $"mailbox {to} already exists");
            foreach (var ancestor in MailboxNames.Ancestors(to))
                EnsureMailbox(tx, context, ancestor);
            long modSeq;
            if (MailboxNames.IsInbox(from))
            {
                // RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox and leaves INBOX empty;
                // mailboxes below INBOX are not renamed.
                long id = InsertMailbox(tx, to, SpecialUse.None);
                modSeq = tx.Bump("modseq");
                var uids = Placements(tx, row.Id, null).Select(p => p.Uid).ToList();
                tx.Execute("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) SELECT mailbox_id, uid, $m FROM mailbox_messages WHERE mailbox_id = $src",
                    ("$m", modSeq), ("$src", row.Id));
                tx.Execute("UPDATE mailbox_messages SET mailbox_id = $dst, modseq = $m WHERE mailbox_id = $src", ("$dst", id), ("$m", modSeq), ("$src", row.Id));
                tx.Execute("UPDATE mailboxes SET uidnext = $n, highestmodseq = $m WHERE id = $dst", ("$n", row.UidNext), ("$m", modSeq), ("$dst", id));
                tx.Execute("UPDATE mailboxes SET highestmodseq = $m WHERE id = $src", ("$m", modSeq), ("$src", row.Id));
                context.Changes.Add(new MailboxChange(row.Id, from, MailboxChangeKind.Expunged, uids, modSeq));
                context.Changes.Add(new MailboxChange(id, to, MailboxChangeKind.MailboxCreated, [], modSeq));
            }
            else
            {
                modSeq = tx.Bump("modseq");
                var affected = AllMailboxes(connection, tx).Where(m => MailboxNames.IsSameOrBelow(m.Name, from)).ToList();
                foreach (var m in affected)
                {
                    var target = to + m.Name[from.Length..];
                    if (target.Split(MailboxNames.Separator).Length > Options.MaxMailboxDepth || System.Text.Encoding.UTF8.GetByteCount(target) > Options.MaxMailboxNameLength)
                        throw new MailboxNameException($"renaming {m.Name} to {target} makes the name too long or too deep");
                    if (m.Id != row.Id && FindMailbox(connection, tx, target) is not null)
                        throw new MailStoreException(MailStoreError.AlreadyExists, $"mailbox {target} already exists");
                }
                // Two passes through temporary names, so that the UNIQUE constraint never sees a transient clash.
                foreach (var m in affected)
                    tx.Execute("UPDATE mailboxes SET name = $t WHERE id = $id", ("$t", "\u0001rename\u0001" + m.Id), ("$id", m.Id));
                foreach (var m in affected)
                {
                    var target = to + m.Name[from.Length..];
                    tx.Execute("UPDATE mailboxes SET name = $t, highestmodseq = $ms WHERE id = $id", ("$t", target), ("$ms", modSeq), ("$id", m.Id));
                    // Subscriptions follow the mailbox (as Dovecot and Cyrus do).
                    if (tx.Execute("DELETE FROM subscriptions WHERE name = $n", ("$n", m.Name)) > 0)
                        tx.Execute("INSERT OR IGNORE INTO subscriptions(name) VALUES ($n)", ("$n", target));
                    context.Changes.Add(new MailboxChange(m.Id, target, MailboxChangeKind.MailboxRenamed, [], modSeq));
                }
            }
            context.MailboxesChanged = true;
            return 0;
        }, cancellationToken);
    }

    public Task SetSubscribedAsync(string name, bool subscribed, CancellationToken cancellationToken)
    {
        var normalized = Normalize(name);
        return WriteAsync((tx, context) =>
        {
            if (subscribed)
                tx.Execute("INSERT OR IGNORE INTO subscriptions(name) VALUES ($n)", ("$n", normalized));
            else
                tx.Execute("DELETE FROM subscriptions WHERE name = $n", ("$n", normalized));
            var row = FindMailbox(tx.Connection!, tx, normalized);
            context.MailboxesChanged = true;
            context.Changes.Add(new MailboxChange(row?.Id ?? 0, normalized, MailboxChangeKind.SubscriptionChanged, [], row?.HighestModSeq ?? 0));
            return 0;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListSubscriptionsAsync(CancellationToken cancellationToken)
    {
        using var connection = OpenRead();
        IReadOnlyList<string> list = ReadSubscriptions(connection).Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(list);
    }

    public Task<MailboxStatus> GetStatusAsync(string name, CancellationToken cancellationToken)
    {
        var normalized = Normalize(name);
        using var connection = OpenRead();
        using var tx = connection.BeginTransaction(deferred: true);
        var row = FindMailbox(connection, tx, normalized)
            ?? throw new MailStoreException(MailStoreError.NotFound, $"no mailbox {normalized}");
        var info = Info(connection, tx, row);
        using var command = Cmd(connection, tx, """
            SELECT count(*), total(flags & 1 = 0), total(uid >= $recent), total(size), total((flags & 8) <> 0)
            FROM mailbox_messages WHERE mailbox_id = $id
            """, ("$recent", RecentBoundary(row.Id, row.RecentUid)), ("$id", row.Id));
        using var r = command.ExecuteReader();
        r.Read();
        return Task.FromResult(new MailboxStatus(info, (int)r.GetInt64(0), (int)r.GetDouble(1), (int)r.GetDouble(2), (long)r.GetDouble(3), (long)r.GetDouble(4)));
    }

    internal MailboxRow RequireSelectable(SqliteConnection connection, SqliteTransaction? tx, string normalizedName)
    {
        var row = FindMailbox(connection, tx, normalizedName);
        ThrowUnlessSelectable(normalizedName, row?.NoSelect);
        return row!;
    }

    /// <summary>The same check with one prepared query on a kept read connection (an APPEND is latency, and this check
    /// is on its path).</summary>
    internal static void RequireSelectable(ReadConnection reader, string normalizedName) =>
        ThrowUnlessSelectable(normalizedName,
            reader.Prepared("SELECT noselect FROM mailboxes WHERE name = $n", ("$n", normalizedName)).ExecuteScalar() is long flag ? flag != 0 : null);

    /// <param name="noSelect">Null when there is no such mailbox.</param>
    static void ThrowUnlessSelectable(string normalizedName, bool? noSelect)
    {
        if (noSelect is null)
            throw new MailStoreException(MailStoreError.NotFound, $"no mailbox {normalizedName}");
        if (noSelect.Value)
            throw new MailStoreException(MailStoreError.NotAllowed, $"{normalizedName} holds no messages (\\Noselect)");
    }

    internal static MailboxRow RequireMailbox(SqliteConnection connection, SqliteTransaction? tx, long id) =>
        FindMailbox(connection, tx, id) ?? throw new MailStoreException(MailStoreError.NotFound, $"no mailbox with id {id}");
}

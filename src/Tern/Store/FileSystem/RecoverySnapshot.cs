using Tern.IO;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>Plain-text copies of what the message files alone cannot tell, kept beside the index so that a lost index can
/// be rebuilt with every message in its mailbox: <c>mailboxes.tsv</c> (written at every mailbox change) and
/// <c>flags.tsv</c> (placements, UIDs, flags and expunge records; written when the last session of an account ends,
/// every ten minutes while it changes, and at shutdown). Tab-separated: mailbox names cannot contain control characters.</summary>
internal static class RecoverySnapshot
{
    public static string MailboxesPath(string root) => Path.Combine(root, "mailboxes.tsv");
    public static string FlagsPath(string root) => Path.Combine(root, "flags.tsv");

    public sealed record MailboxEntry(long Id, string Name, uint UidValidity, long UidNext, long HighestModSeq, SpecialUse Use, bool NoSelect);
    public sealed record PlacementEntry(long MailboxId, long Uid, long MessageId, MessageFlags Flags, long ModSeq, long InternalDate, int Tz, string? Keywords);

    public sealed class Snapshot
    {
        public List<MailboxEntry> Mailboxes { get; } = [];
        public List<string> Subscriptions { get; } = [];
        public List<PlacementEntry> Placements { get; } = [];
        public List<(long MailboxId, long Uid, long ModSeq)> Expunged { get; } = [];
        public long ModSeq { get; set; }
        public long NextMessageId { get; set; }
        public bool HasMailboxes { get; set; }
        public bool HasFlags { get; set; }
    }

    static string I(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static void WriteMailboxes(string root, SqliteConnection connection)
    {
        var text = new StringBuilder("#tern-mailboxes\t1\n");
        AppendMailboxes(text, connection);
        Durable.WriteFileAtomically(MailboxesPath(root), s => s.Write(Encoding.UTF8.GetBytes(text.ToString())));
    }

    static void AppendMailboxes(StringBuilder text, SqliteConnection connection)
    {
        foreach (var m in AccountHub.AllMailboxes(connection, null))
            text.Append("B\t").Append(I(m.Id)).Append('\t').Append(I(m.UidValidity)).Append('\t').Append(I(m.UidNext)).Append('\t')
                .Append(I(m.HighestModSeq)).Append('\t').Append(I((int)m.Use)).Append('\t').Append(m.NoSelect ? '1' : '0').Append('\t')
                .Append(m.Name).Append('\n');
        using var subs = connection.Command("SELECT name FROM subscriptions ORDER BY name");
        using var r = subs.ExecuteReader();
        while (r.Read()) text.Append("S\t").Append(r.GetString(0)).Append('\n');
    }

    public static void WriteFlags(string root, SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction(deferred: true);
        Durable.WriteFileAtomically(FlagsPath(root), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            writer.Write("#tern-flags\t1\t");
            writer.Write(I(tx.Meta("modseq")));
            writer.Write('\t');
            writer.Write(I(tx.Meta("next_message_id")));
            writer.Write('\n');
            var mailboxes = new StringBuilder();
            AppendMailboxesTx(mailboxes, tx);
            writer.Write(mailboxes);
            using (var command = tx.Command("SELECT mailbox_id, uid, message_id, flags, modseq, internaldate, tz, keywords FROM mailbox_messages ORDER BY mailbox_id, uid"))
            using (var r = command.ExecuteReader())
            {
                while (r.Read())
                {
                    writer.Write("M\t");
                    for (int i = 0; i < 7; i++) { writer.Write(I(r.GetInt64(i))); writer.Write('\t'); }
                    writer.Write(r.IsDBNull(7) ? "" : r.GetString(7));
                    writer.Write('\n');
                }
            }
            using (var command = tx.Command("SELECT mailbox_id, uid, modseq FROM expunged ORDER BY mailbox_id, uid"))
            using (var r = command.ExecuteReader())
            {
                while (r.Read())
                    writer.Write($"X\t{I(r.GetInt64(0))}\t{I(r.GetInt64(1))}\t{I(r.GetInt64(2))}\n");
            }
            writer.Flush();
        });
    }

    static void AppendMailboxesTx(StringBuilder text, SqliteTransaction tx)
    {
        foreach (var m in AccountHub.AllMailboxes(tx.Connection!, tx))
            text.Append("B\t").Append(I(m.Id)).Append('\t').Append(I(m.UidValidity)).Append('\t').Append(I(m.UidNext)).Append('\t')
                .Append(I(m.HighestModSeq)).Append('\t').Append(I((int)m.Use)).Append('\t').Append(m.NoSelect ? '1' : '0').Append('\t')
                .Append(m.Name).Append('\n');
        using var subs = tx.Command("SELECT name FROM subscriptions ORDER BY name");
        using var r = subs.ExecuteReader();
        while (r.Read()) text.Append("S\t").Append(r.GetString(0)).Append('\n');
    }

    /// <summary>Reads what survives of the snapshot files; unreadable lines are skipped (this is recovery).</summary>
    public static Snapshot Load(string root)
    {
        var snapshot = new Snapshot();
        var flagsPath = FlagsPath(root);
        var mailboxesPath = MailboxesPath(root);
        // mailboxes.tsv is rewritten at every mailbox change, so it is newer than the mailbox lines of flags.tsv.
        var fromFlags = new Snapshot();
        if (File.Exists(flagsPath))
        {
            Parse(File.ReadLines(flagsPath), fromFlags);
            snapshot.HasFlags = true;
            snapshot.Placements.AddRange(fromFlags.Placements);
            snapshot.Expunged.AddRange(fromFlags.Expunged);
            snapshot.ModSeq = fromFlags.ModSeq;
            snapshot.NextMessageId = fromFlags.NextMessageId;
        }
        if (File.Exists(mailboxesPath))
        {
            var fromMailboxes = new Snapshot();
            Parse(File.ReadLines(mailboxesPath), fromMailboxes);
            snapshot.Mailboxes.AddRange(fromMailboxes.Mailboxes);
            snapshot.Subscriptions.AddRange(fromMailboxes.Subscriptions);
        }
        else
        {
            snapshot.Mailboxes.AddRange(fromFlags.Mailboxes);
            snapshot.Subscriptions.AddRange(fromFlags.Subscriptions);
        }
        snapshot.HasMailboxes = snapshot.Mailboxes.Count > 0;
        return snapshot;
    }

    static void Parse(IEnumerable<string> lines, Snapshot into)
    {
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            try
            {
                switch (f[0])
                {
                    case "#tern-flags" when f.Length >= 4:
                        into.ModSeq = L(f[2]);
                        into.NextMessageId = L(f[3]);
                        break;
                    case "B" when f.Length >= 8:
                        into.Mailboxes.Add(new MailboxEntry(L(f[1]), string.Join('\t', f[7..]), (uint)L(f[2]), L(f[3]), L(f[4]), (SpecialUse)L(f[5]), f[6] == "1"));
                        break;
                    case "S" when f.Length >= 2:
                        into.Subscriptions.Add(f[1]);
                        break;
                    case "M" when f.Length >= 9:
                        into.Placements.Add(new PlacementEntry(L(f[1]), L(f[2]), L(f[3]), (MessageFlags)L(f[4]), L(f[5]), L(f[6]), (int)L(f[7]), f[8].Length == 0 ? null : f[8]));
                        break;
                    case "X" when f.Length >= 4:
                        into.Expunged.Add((L(f[1]), L(f[2]), L(f[3])));
                        break;
                }
            }
            catch (FormatException) { }
            catch (OverflowException) { }
        }
    }

    static long L(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}

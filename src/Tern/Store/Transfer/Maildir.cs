using System.Globalization;
using System.Text;

namespace Tern.Store.Transfer;

/// <summary>Maildir import and export, with Maildir++ folders (<c>.Sub.Folder</c>, names in modified UTF-7 as Dovecot
/// writes them) and flags in the file name's info part (<c>:2,DFPRST</c>; lowercase letters are Dovecot keywords listed
/// in <c>dovecot-keywords</c>). The file time is the received date.</summary>
/// <remarks>Formats: https://cr.yp.to/proto/maildir.html, https://www.courier-mta.org/imap/README.maildirquota.html,
/// https://doc.dovecot.org/main/core/config/mailbox_formats/maildir.html.</remarks>
public static class Maildir
{
    const string ForwardedKeyword = "$Forwarded";

    /// <summary>Imports a Maildir: its root into <paramref name="targetMailbox"/> (INBOX by default), each Maildir++
    /// folder into a mailbox of the same name (below <paramref name="targetMailbox"/> when one is given).</summary>
    public static async Task<TransferResult> ImportAsync(IMailAccount account, string path, string? targetMailbox,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path))
            throw new MailStoreException(MailStoreError.NotFound, $"{path} is not a folder");
        var folders = new List<(string Dir, string Mailbox)>();
        if (IsMaildir(path))
            folders.Add((path, targetMailbox ?? MailboxNames.Inbox));
        var warnings = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            if (name.Length < 2 || name[0] != '.' || !IsMaildir(dir)) continue;
            var components = name[1..].Split('.').Select(ModifiedUtf7.Decode);
            var mailbox = string.Join(MailboxNames.Separator, components);
            if (mailbox.Equals("INBOX", StringComparison.OrdinalIgnoreCase) && targetMailbox is null) mailbox = MailboxNames.Inbox;
            folders.Add((dir, targetMailbox is null ? mailbox : targetMailbox + MailboxNames.Separator + mailbox));
        }
        var work = folders.Select(f => (f.Dir, f.Mailbox, Files: MessageFiles(f.Dir))).ToList();
        long total = work.Sum(w => w.Files.Count), done = 0;
        int imported = 0, skipped = 0;
        var mailboxes = new List<string>();
        foreach (var (dir, mailbox, files) in work)
        {
            try
            {
                await ImportSink.EnsureMailboxAsync(account, mailbox, cancellationToken).ConfigureAwait(false);
            }
            catch (MailboxNameException ex)
            {
                warnings.Add($"folder {Path.GetFileName(dir)} skipped: {ex.Message}");
                done += files.Count;
                continue;
            }
            mailboxes.Add(mailbox);
            var keywords = ReadKeywords(dir);
            foreach (var file in files)
            {
                var (flags, kw) = ParseInfo(Path.GetFileName(file), keywords, inNew: Path.GetFileName(Path.GetDirectoryName(file)) == "new");
                var date = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
                var message = new ForeignMessage(() => File.OpenRead(file), flags, kw, date);
                if (await ImportSink.AddAsync(account, mailbox, message, cancellationToken).ConfigureAwait(false)) imported++;
                else skipped++;
                progress?.Report(new TransferProgress(++done, total, mailbox));
            }
        }
        return new TransferResult(imported, skipped, mailboxes, warnings);
    }

    static bool IsMaildir(string dir) => Directory.Exists(Path.Combine(dir, "cur")) || Directory.Exists(Path.Combine(dir, "new"));

    /// <summary>Message files of one Maildir, oldest first, so that UIDs follow the original order.</summary>
    static List<string> MessageFiles(string dir) =>
        new[] { "new", "cur" }.Select(sub => Path.Combine(dir, sub)).Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .OrderBy(File.GetLastWriteTimeUtc).ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();

    /// <summary>Dovecot's <c>dovecot-keywords</c>: "0 $Label1" lines; letter a is keyword 0.</summary>
    static Dictionary<char, string> ReadKeywords(string dir)
    {
        var map = new Dictionary<char, string>();
        var path = Path.Combine(dir, "dovecot-keywords");
        if (!File.Exists(path)) return map;
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < 26)
                map[(char)('a' + n)] = parts[1].Trim();
        }
        return map;
    }

    internal static (MessageFlags Flags, IReadOnlyList<string> Keywords) ParseInfo(string fileName, IReadOnlyDictionary<char, string> keywordMap, bool inNew)
    {
        var flags = MessageFlags.None;
        var keywords = new List<string>();
        // "unique:2,FLAGS"; Windows-friendly writers use '!' or ';' for ':'.
        int info = Math.Max(fileName.LastIndexOf(":2,", StringComparison.Ordinal), Math.Max(fileName.LastIndexOf("!2,", StringComparison.Ordinal), fileName.LastIndexOf(";2,", StringComparison.Ordinal)));
        if (info < 0 || inNew) return (flags, keywords);
        foreach (var c in fileName[(info + 3)..])
        {
            switch (c)
            {
                case 'D': flags |= MessageFlags.Draft; break;
                case 'F': flags |= MessageFlags.Flagged; break;
                case 'P': keywords.Add(ForwardedKeyword); break;
                case 'R': flags |= MessageFlags.Answered; break;
                case 'S': flags |= MessageFlags.Seen; break;
                case 'T': flags |= MessageFlags.Deleted; break;
                default:
                    if (keywordMap.TryGetValue(c, out var keyword)) keywords.Add(keyword);
                    break;
            }
        }
        return (flags, keywords);
    }

    /// <summary>Exports mailboxes as a Maildir++ tree: INBOX at the root, others as <c>.A.B</c> folders. File names are
    /// derived from UIDVALIDITY and UID, so a second export into the same folder adds only what is new.</summary>
    public static async Task<TransferResult> ExportAsync(IMailAccount account, string path, string? onlyMailbox,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var all = await account.ListMailboxesAsync(cancellationToken).ConfigureAwait(false);
        var selected = all.Where(m => !m.NoSelect && (onlyMailbox is null || m.Name == MailboxNames.Normalize(onlyMailbox, new Configuration.StoreOptions { MaxMailboxNameLength = int.MaxValue, MaxMailboxDepth = int.MaxValue }))).ToList();
        if (onlyMailbox is not null && selected.Count == 0)
            throw new MailStoreException(MailStoreError.NotFound, $"no mailbox {onlyMailbox}");
        var messages = new List<(MailboxInfo Mailbox, IReadOnlyList<MessageInfo> Messages)>();
        foreach (var mailbox in selected)
            messages.Add((mailbox, await account.GetMessagesAsync(mailbox.Id, null, cancellationToken).ConfigureAwait(false)));
        long total = messages.Sum(m => m.Messages.Count), done = 0;
        int written = 0, skipped = 0;
        Directory.CreateDirectory(path);
        foreach (var (mailbox, list) in messages)
        {
            var dir = mailbox.Name == MailboxNames.Inbox || onlyMailbox is not null
                ? path
                : Path.Combine(path, "." + string.Join('.', mailbox.Name.Split(MailboxNames.Separator).Select(EncodeComponent)));
            foreach (var sub in new[] { "cur", "new", "tmp" })
                Directory.CreateDirectory(Path.Combine(dir, sub));
            if (dir != path && !File.Exists(Path.Combine(dir, "maildirfolder")))
                await File.WriteAllBytesAsync(Path.Combine(dir, "maildirfolder"), [], cancellationToken).ConfigureAwait(false);
            var keywordIndex = LoadKeywordIndex(dir);
            var existing = Directory.EnumerateFiles(Path.Combine(dir, "cur")).Concat(Directory.EnumerateFiles(Path.Combine(dir, "new")))
                .Select(f => BaseName(Path.GetFileName(f))).ToHashSet(StringComparer.Ordinal);
            foreach (var message in list)
            {
                var baseName = string.Create(CultureInfo.InvariantCulture,
                    $"{message.InternalDate.ToUnixTimeSeconds()}.V{mailbox.UidValidity:x}U{message.Uid}.tern");
                progress?.Report(new TransferProgress(++done, total, mailbox.Name));
                if (existing.Contains(baseName)) { skipped++; continue; }
                var letters = FlagLetters(message, keywordIndex);
                var temp = Path.Combine(dir, "tmp", baseName);
                long size;
                await using (var source = await account.OpenMessageAsync(mailbox.Id, message.Uid, cancellationToken).ConfigureAwait(false))
                await using (var target = new FileStream(temp, FileMode.Create, FileAccess.Write))
                {
                    size = await CopyWithLfAsync(source, target, cancellationToken).ConfigureAwait(false);
                    target.Flush(flushToDisk: true);
                }
                File.SetLastWriteTimeUtc(temp, message.InternalDate.UtcDateTime);
                var final = Path.Combine(dir, "cur", string.Create(CultureInfo.InvariantCulture, $"{baseName},S={size},W={message.Size}:2,{letters}"));
                File.Move(temp, final, overwrite: true);
                written++;
            }
            SaveKeywordIndex(dir, keywordIndex);
        }
        return new TransferResult(written, skipped, selected.Select(m => m.Name).ToList(), []);
    }

    static string BaseName(string fileName)
    {
        int comma = fileName.IndexOf(',', StringComparison.Ordinal);
        int colon = fileName.IndexOf(':', StringComparison.Ordinal);
        int end = comma >= 0 ? comma : colon >= 0 ? colon : fileName.Length;
        return fileName[..end];
    }

    /// <summary>A '.' inside a name component would read as a separator: it is written as modified UTF-7 "&amp;AC4-".</summary>
    static string EncodeComponent(string component) => ModifiedUtf7.Encode(component).Replace(".", "&AC4-", StringComparison.Ordinal);

    static string FlagLetters(MessageInfo message, List<string> keywordIndex)
    {
        var letters = new StringBuilder();
        // Letters in ASCII order, as the Maildir specification asks.
        if (message.Flags.HasFlag(MessageFlags.Draft)) letters.Append('D');
        if (message.Flags.HasFlag(MessageFlags.Flagged)) letters.Append('F');
        if (message.Keywords.Contains(ForwardedKeyword, StringComparer.OrdinalIgnoreCase)) letters.Append('P');
        if (message.Flags.HasFlag(MessageFlags.Answered)) letters.Append('R');
        if (message.Flags.HasFlag(MessageFlags.Seen)) letters.Append('S');
        if (message.Flags.HasFlag(MessageFlags.Deleted)) letters.Append('T');
        var keywordLetters = new List<char>();
        foreach (var keyword in message.Keywords)
        {
            if (keyword.Equals(ForwardedKeyword, StringComparison.OrdinalIgnoreCase)) continue;
            int index = keywordIndex.FindIndex(k => k.Equals(keyword, StringComparison.OrdinalIgnoreCase));
            if (index < 0 && keywordIndex.Count < 26) { keywordIndex.Add(keyword); index = keywordIndex.Count - 1; }
            if (index >= 0) keywordLetters.Add((char)('a' + index));
        }
        foreach (var c in keywordLetters.Order()) letters.Append(c);
        return letters.ToString();
    }

    static List<string> LoadKeywordIndex(string dir)
    {
        var map = ReadKeywords(dir);
        var list = new List<string>();
        for (char c = 'a'; map.TryGetValue(c, out var k); c++) list.Add(k);
        return list;
    }

    static void SaveKeywordIndex(string dir, List<string> keywords)
    {
        if (keywords.Count == 0) return;
        File.WriteAllLines(Path.Combine(dir, "dovecot-keywords"), keywords.Select((k, i) => $"{i.ToString(CultureInfo.InvariantCulture)} {k}"));
    }

    /// <summary>Copies a stored (CRLF) message with Unix line ends, as Maildir files conventionally have.</summary>
    internal static async Task<long> CopyWithLfAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var input = new byte[65536];
        var output = new byte[65536];
        long size = 0;
        int read;
        while ((read = await source.ReadAsync(input, cancellationToken).ConfigureAwait(false)) > 0)
        {
            int o = 0;
            for (int i = 0; i < read; i++)
                if (input[i] != (byte)'\r') output[o++] = input[i];
            await target.WriteAsync(output.AsMemory(0, o), cancellationToken).ConfigureAwait(false);
            size += o;
        }
        return size;
    }
}

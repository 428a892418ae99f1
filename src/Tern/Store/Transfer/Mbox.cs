using System.Globalization;
using System.Text;

namespace Tern.Store.Transfer;

/// <summary>mbox import and export (mboxrd: a body line matching <c>^&gt;*From </c> gets one more '&gt;' on the way out and
/// loses one on the way in). Flags travel in <c>Status:</c> (R read, O old) and <c>X-Status:</c> (A answered, F flagged,
/// T draft, D deleted) and keywords in <c>X-Keywords:</c>, as Dovecot, mutt and Thunderbird write them; the From_ line
/// carries the received date. A folder of mbox files is a hierarchy: a mailbox's children live in <c>NAME.sbd/</c>.</summary>
/// <remarks>Format: RFC 4155; quoting variants: https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml.</remarks>
public static class Mbox
{
    static readonly string[] BookkeepingHeaders = ["Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase"];

    /// <summary>Imports one mbox file into <paramref name="targetMailbox"/> (INBOX by default), or a folder of mbox files
    /// into mailboxes named by their paths (below <paramref name="targetMailbox"/> when given).</summary>
    public static async Task<TransferResult> ImportAsync(IMailAccount account, string path, string? targetMailbox,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var files = new List<(string File, string Mailbox)>();
        if (File.Exists(path))
            files.Add((path, targetMailbox ?? MailboxNames.Inbox));
        else if (Directory.Exists(path))
        {
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (!LooksLikeMbox(file)) continue;
                var relative = Path.GetRelativePath(path, file).Split(Path.DirectorySeparatorChar)
                    .Select(c => c.EndsWith(".sbd", StringComparison.Ordinal) ? c[..^4] : c).ToList();
                if (relative[^1].EndsWith(".mbox", StringComparison.Ordinal)) relative[^1] = relative[^1][..^5];
                var name = string.Join(MailboxNames.Separator, relative);
                if (name.Equals("INBOX", StringComparison.OrdinalIgnoreCase)) name = MailboxNames.Inbox;
                files.Add((file, targetMailbox is null ? name : targetMailbox + MailboxNames.Separator + name));
            }
        }
        else
        {
            throw new MailStoreException(MailStoreError.NotFound, $"{path} does not exist");
        }
        long total = files.Sum(f => new FileInfo(f.File).Length), done = 0;
        int imported = 0, skipped = 0;
        var warnings = new List<string>();
        var mailboxes = new List<string>();
        foreach (var (file, mailbox) in files)
        {
            try
            {
                await ImportSink.EnsureMailboxAsync(account, mailbox, cancellationToken).ConfigureAwait(false);
            }
            catch (MailboxNameException ex)
            {
                warnings.Add($"{file} skipped: {ex.Message}");
                continue;
            }
            mailboxes.Add(mailbox);
            foreach (var (message, consumed) in Read(file))
            {
                if (await ImportSink.AddAsync(account, mailbox, message, cancellationToken).ConfigureAwait(false)) imported++;
                else skipped++;
                progress?.Report(new TransferProgress(done + consumed, total, mailbox));
            }
            done += new FileInfo(file).Length;
        }
        return new TransferResult(imported, skipped, mailboxes, warnings);
    }

    static bool LooksLikeMbox(string file)
    {
        var name = Path.GetFileName(file);
        if (name.StartsWith('.') || name.EndsWith(".msf", StringComparison.Ordinal)) return false;
        using var stream = File.OpenRead(file);
        if (stream.Length == 0) return true;
        var head = new byte[5];
        return stream.Read(head) == 5 && head.AsSpan().SequenceEqual("From "u8);
    }

    /// <summary>The messages of one mbox file, each with the file offset reached (for progress).</summary>
    internal static IEnumerable<(ForeignMessage Message, long Offset)> Read(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        string? fromLine = null;
        var lines = new List<byte[]>();
        long offset = 0;
        foreach (var line in ReadLines(stream))
        {
            offset += line.Length;
            if (line.AsSpan().StartsWith("From "u8))
            {
                if (fromLine is not null) yield return (Build(fromLine, lines), offset);
                fromLine = Encoding.Latin1.GetString(line).TrimEnd('\r', '\n');
                lines = [];
                continue;
            }
            if (fromLine is null) continue; // text before the first From_ line is not a message
            lines.Add(line);
        }
        if (fromLine is not null) yield return (Build(fromLine, lines), offset);
    }

    static IEnumerable<byte[]> ReadLines(Stream stream)
    {
        var current = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                current.Write(buffer, start, i - start + 1);
                yield return current.ToArray();
                current.SetLength(0);
                start = i + 1;
            }
            current.Write(buffer, start, read - start);
        }
        if (current.Length > 0) yield return current.ToArray();
    }

    static ForeignMessage Build(string fromLine, List<byte[]> lines)
    {
        // The blank line before the next From_ line belongs to the separator (RFC 4155).
        if (lines.Count > 0 && IsBlank(lines[^1])) lines.RemoveAt(lines.Count - 1);
        var flags = MessageFlags.None;
        var keywords = new List<string>();
        var content = new MemoryStream();
        bool inHeader = true;
        foreach (var line in lines)
        {
            if (inHeader)
            {
                if (IsBlank(line))
                {
                    inHeader = false;
                    content.Write(line);
                    continue;
                }
                var text = Encoding.Latin1.GetString(line);
                int colon = text.IndexOf(':', StringComparison.Ordinal);
                var name = colon > 0 ? text[..colon].Trim() : "";
                if (BookkeepingHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    var value = text[(colon + 1)..].Trim();
                    if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
                    {
                        if (value.Contains('R', StringComparison.Ordinal)) flags |= MessageFlags.Seen;
                    }
                    else if (name.Equals("X-Status", StringComparison.OrdinalIgnoreCase))
                    {
                        if (value.Contains('A', StringComparison.Ordinal)) flags |= MessageFlags.Answered;
                        if (value.Contains('F', StringComparison.Ordinal)) flags |= MessageFlags.Flagged;
                        if (value.Contains('T', StringComparison.Ordinal)) flags |= MessageFlags.Draft;
                        if (value.Contains('D', StringComparison.Ordinal)) flags |= MessageFlags.Deleted;
                    }
                    else if (name.Equals("X-Keywords", StringComparison.OrdinalIgnoreCase))
                    {
                        keywords.AddRange(value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries));
                    }
                    continue;
                }
                content.Write(line);
                continue;
            }
            // mboxrd: one level of ">" quoting comes off ">From ", ">>From "...
            int gt = 0;
            while (gt < line.Length && line[gt] == (byte)'>') gt++;
            if (gt > 0 && line.AsSpan(gt).StartsWith("From "u8))
                content.Write(line, 1, line.Length - 1);
            else
                content.Write(line);
        }
        var bytes = content.ToArray();
        var date = ParseFromLineDate(fromLine);
        return new ForeignMessage(() => new MemoryStream(bytes, writable: false), flags, keywords, date);
    }

    static bool IsBlank(byte[] line) => line.Length == 0 || (line.Length == 1 && line[0] == '\n') || (line.Length == 2 && line[0] == '\r' && line[1] == '\n');

    /// <summary>The date of a From_ line, "From sender Tue Nov 27 07:50:09 2026" (asctime, UTC), or null.</summary>
    internal static DateTimeOffset? ParseFromLineDate(string fromLine)
    {
        var parts = fromLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // Find the weekday token; what follows is "Mon DD HH:MM:SS [zone] YYYY".
        for (int i = 1; i < parts.Length - 4; i++)
        {
            if (parts[i].Length != 3 || !char.IsLetter(parts[i][0]) || parts[i + 1].Length != 3) continue;
            var year = parts[^1];
            var text = $"{parts[i + 1]} {parts[i + 2]} {parts[i + 3]} {year}";
            if (DateTime.TryParseExact(text, ["MMM d HH:mm:ss yyyy", "MMM dd HH:mm:ss yyyy", "MMM d HH:mm yyyy"], CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
                return new DateTimeOffset(date, TimeSpan.Zero);
        }
        return null;
    }

    /// <summary>Exports one mailbox to an mbox file (<paramref name="onlyMailbox"/> given: <paramref name="path"/> is that
    /// file), or every mailbox into a folder of mbox files. Files are rewritten whole, so a second export does not duplicate.</summary>
    public static async Task<TransferResult> ExportAsync(IMailAccount account, string path, string? onlyMailbox,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var all = await account.ListMailboxesAsync(cancellationToken).ConfigureAwait(false);
        List<(MailboxInfo Mailbox, string File)> targets;
        if (onlyMailbox is not null)
        {
            var mailbox = await account.GetMailboxAsync(onlyMailbox, cancellationToken).ConfigureAwait(false)
                ?? throw new MailStoreException(MailStoreError.NotFound, $"no mailbox {onlyMailbox}");
            targets = [(mailbox, path)];
        }
        else
        {
            targets = all.Where(m => !m.NoSelect)
                .Select(m => (m, FilePathOf(path, m.Name)))
                .ToList();
        }
        var lists = new List<IReadOnlyList<MessageInfo>>();
        foreach (var (mailbox, _) in targets)
            lists.Add(await account.GetMessagesAsync(mailbox.Id, null, cancellationToken).ConfigureAwait(false));
        long total = lists.Sum(l => l.Count), done = 0;
        int written = 0;
        for (int t = 0; t < targets.Count; t++)
        {
            var (mailbox, file) = targets[t];
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            var temp = file + ".tern-export";
            await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                foreach (var message in lists[t])
                {
                    await WriteMessageAsync(account, mailbox, message, output, cancellationToken).ConfigureAwait(false);
                    written++;
                    progress?.Report(new TransferProgress(++done, total, mailbox.Name));
                }
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, file, overwrite: true);
        }
        return new TransferResult(written, 0, targets.Select(t => t.Mailbox.Name).ToList(), []);
    }

    /// <summary>"A/B/C" is <c>A.sbd/B.sbd/C</c> (Thunderbird's layout, which lets "A" hold mail and children).</summary>
    static string FilePathOf(string root, string mailbox)
    {
        var parts = mailbox.Split(MailboxNames.Separator);
        return Path.Combine([root, .. parts[..^1].Select(p => p + ".sbd"), parts[^1]]);
    }

    static async Task WriteMessageAsync(IMailAccount account, MailboxInfo mailbox, MessageInfo message, Stream output, CancellationToken cancellationToken)
    {
        var date = message.InternalDate.UtcDateTime;
        var from = string.Create(CultureInfo.InvariantCulture, $"From MAILER-DAEMON {date:ddd MMM} {date.Day,2} {date:HH:mm:ss yyyy}\n");
        await output.WriteAsync(Encoding.ASCII.GetBytes(from), cancellationToken).ConfigureAwait(false);
        byte[] content;
        await using (var source = await account.OpenMessageAsync(mailbox.Id, message.Uid, cancellationToken).ConfigureAwait(false))
        using (var buffer = new MemoryStream())
        {
            await Maildir.CopyWithLfAsync(source, buffer, cancellationToken).ConfigureAwait(false);
            content = buffer.ToArray();
        }
        var status = new StringBuilder();
        status.Append("Status: ").Append(message.Flags.HasFlag(MessageFlags.Seen) ? "RO" : "O").Append('\n');
        var x = new StringBuilder();
        if (message.Flags.HasFlag(MessageFlags.Answered)) x.Append('A');
        if (message.Flags.HasFlag(MessageFlags.Flagged)) x.Append('F');
        if (message.Flags.HasFlag(MessageFlags.Draft)) x.Append('T');
        if (message.Flags.HasFlag(MessageFlags.Deleted)) x.Append('D');
        if (x.Length > 0) status.Append("X-Status: ").Append(x).Append('\n');
        if (message.Keywords.Count > 0) status.Append("X-Keywords: ").Append(string.Join(' ', message.Keywords)).Append('\n');

        // Header lines, then the status headers just before the blank line, then the body with mboxrd quoting.
        int position = 0;
        bool inHeader = true;
        while (position < content.Length)
        {
            int end = Array.IndexOf(content, (byte)'\n', position);
            int next = end < 0 ? content.Length : end + 1;
            var line = content.AsMemory(position, next - position);
            if (inHeader && (line.Length == 1 || line.Length == 0))
            {
                await output.WriteAsync(Encoding.UTF8.GetBytes(status.ToString()), cancellationToken).ConfigureAwait(false);
                inHeader = false;
            }
            else if (!inHeader)
            {
                var span = line.Span;
                int gt = 0;
                while (gt < span.Length && span[gt] == (byte)'>') gt++;
                if (span[gt..].StartsWith("From "u8))
                    output.WriteByte((byte)'>');
            }
            await output.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            position = next;
        }
        if (inHeader)
            await output.WriteAsync(Encoding.UTF8.GetBytes(status + "\n"), cancellationToken).ConfigureAwait(false);
        if (content.Length > 0 && content[^1] != (byte)'\n')
            output.WriteByte((byte)'\n');
        output.WriteByte((byte)'\n');
    }
}

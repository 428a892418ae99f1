using System.Globalization;
using System.Text;
using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 4469 CATENATE: a message built from TEXT literals and IMAP URLs (RFC 5092) of messages the user can read.
/// The parts are copied into a temporary file (bounded memory), and the whole must fit Imap:MaxLiteralSize.</summary>
/// <remarks><code>append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")"
/// cat-part = "TEXT" SP literal / "URL" SP astring
/// url = ["imap://" [user "@"] host [":" port]] "/" enc-mailbox [";UIDVALIDITY=" nz-number] "/;UID=" nz-number
///       ["/;SECTION=" enc-section] ["/;PARTIAL=" number ["." nz-number]]</code></remarks>
static class Catenate
{
    public sealed record Part(ImapLiteral? Text, string? Url);

    /// <summary>Refused URL or size: the tagged response that ends the APPEND.</summary>
    public sealed class Refused(ImapResult result) : Exception(result.Text)
    {
        public ImapResult Result { get; } = result;
    }

    public static List<Part> Read(ImapArgumentReader args)
    {
        args.Space();
        args.OpenList();
        var parts = new List<Part>();
        while (true)
        {
            var kind = args.Atom().ToUpperInvariant();
            args.Space();
            parts.Add(kind switch
            {
                "TEXT" when args.PeekLiteral() => new Part(args.Literal(), null),
                "TEXT" => throw new ImapParseException("CATENATE TEXT needs a literal"),
                "URL" => new Part(null, args.AString()),
                _ => throw new ImapParseException($"Unknown CATENATE part {kind}"),
            });
            if (args.TryCloseList())
                return parts;
            args.Space();
        }
    }

    /// <summary>Builds the message; throws <see cref="Refused"/> with NO [BADURL url] or NO [TOOBIG].</summary>
    public static async Task<Stream> BuildAsync(ImapSession session, IReadOnlyList<Part> parts, CancellationToken cancellationToken)
    {
        long limit = session.Options.Imap.MaxLiteralSize;
        var path = Path.Combine(Path.GetTempPath(), "tern-catenate-" + Guid.NewGuid().ToString("N"));
        var output = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        try
        {
            foreach (var part in parts)
            {
                if (part.Text is { } text)
                {
                    await CopyAsync(text.OpenRead(), 0, text.Length, output, limit, disposeSource: text.IsInMemory, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                await CopyUrlAsync(session, part.Url!, output, limit, cancellationToken).ConfigureAwait(false);
            }
            output.Position = 0;
            return output;
        }
        catch
        {
            await output.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    static async Task CopyAsync(Stream source, long offset, long length, Stream output, long limit, bool disposeSource, CancellationToken cancellationToken)
    {
        try
        {
            if (output.Length + length > limit)
                throw new Refused(ImapResult.No($"The message would exceed {limit} octets", "TOOBIG"));
            source.Seek(offset, SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            long remaining = length;
            while (remaining > 0)
            {
                int n = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                    throw new IOException("The source ended early.");
                await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                remaining -= n;
            }
        }
        finally
        {
            if (disposeSource)
                await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    static async Task CopyUrlAsync(ImapSession session, string url, Stream output, long limit, CancellationToken cancellationToken)
    {
        var bad = new Refused(ImapResult.No("Invalid or inaccessible URL", "BADURL " + url));
        if (!TryParse(url, session.User!.Address, out var parsed))
            throw bad;
        var account = session.Account!;
        MailboxInfo? mailbox;
        try
        {
            mailbox = await account.GetMailboxAsync(MailboxNames.FromWire(parsed.Mailbox, session.Utf8Output), cancellationToken).ConfigureAwait(false);
        }
        catch (MailboxNameException)
        {
            throw bad;
        }
        if (mailbox is null || mailbox.NoSelect || (parsed.UidValidity is { } v && v != mailbox.UidValidity))
            throw bad;
        var infos = await account.GetMessagesAsync(mailbox.Id, UidSet.FromSorted([parsed.Uid]), cancellationToken).ConfigureAwait(false);
        if (infos.Count == 0)
            throw bad;
        Section section;
        try
        {
            var text = Encoding.ASCII.GetBytes("[" + parsed.Section + "]");
            section = FetchParser.ParseSection(new ImapArgumentReader(new RawCommand(text, [])));
        }
        catch (ImapParseException)
        {
            throw bad;
        }
        Stream? file = null;
        try
        {
            MessageStructure structure;
            try
            {
                structure = await account.GetStructureAsync(mailbox.Id, parsed.Uid, cancellationToken).ConfigureAwait(false);
                file = await account.OpenMessageAsync(mailbox.Id, parsed.Uid, cancellationToken).ConfigureAwait(false);
            }
            catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
            {
                throw bad; // expunged meanwhile
            }
            var opened = file;
            var data = await MessageSections.LocateAsync(section, structure, infos[0].Size, () => Task.FromResult(opened), cancellationToken).ConfigureAwait(false);
            if (data is not { } d)
                throw bad;
            Stream source = d.Built is { } built ? new MemoryStream(built, writable: false) : file;
            long offset = d.Built is null ? d.Offset : 0, length = d.Built?.Length ?? d.Length;
            if (parsed.PartialOffset is { } po)
            {
                long start = Math.Min(po, length);
                offset += start;
                length = Math.Min(parsed.PartialLength ?? long.MaxValue, length - start);
            }
            await CopyAsync(source, offset, length, output, limit, disposeSource: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (file is not null)
                await file.DisposeAsync().ConfigureAwait(false);
        }
    }

    sealed record ParsedUrl(string Mailbox, uint? UidValidity, long Uid, string Section, long? PartialOffset, long? PartialLength);

    /// <summary>An IMAP URL of a message of this user (RFC 5092 path forms; URLAUTH is not supported).</summary>
    static bool TryParse(string url, string user, out ParsedUrl parsed)
    {
        parsed = null!;
        var path = url;
        if (url.StartsWith("imap://", StringComparison.OrdinalIgnoreCase))
        {
            int slash = url.IndexOf('/', 7);
            if (slash < 0)
                return false;
            var authority = url[7..slash];
            int at = authority.LastIndexOf('@');
            if (at >= 0)
            {
                var name = Uri.UnescapeDataString(authority[..at].Split(';')[0]);
                if (!name.Equals(user, StringComparison.OrdinalIgnoreCase))
                    return false; // another user's mail
            }
            path = url[slash..];
        }
        if (!path.StartsWith('/') || path.Contains(";URLAUTH=", StringComparison.OrdinalIgnoreCase))
            return false;
        int uidAt = path.IndexOf("/;UID=", StringComparison.OrdinalIgnoreCase);
        if (uidAt <= 1)
            return false;
        var mailboxPart = path[1..uidAt];
        uint? uidValidity = null;
        int semi = mailboxPart.IndexOf(";UIDVALIDITY=", StringComparison.OrdinalIgnoreCase);
        if (semi >= 0)
        {
            if (!uint.TryParse(mailboxPart[(semi + 13)..], NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v == 0)
                return false;
            uidValidity = v;
            mailboxPart = mailboxPart[..semi];
        }
        var rest = path[(uidAt + 6)..].Split('/');
        if (!long.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) || uid <= 0)
            return false;
        string section = "";
        long? partialOffset = null, partialLength = null;
        foreach (var item in rest.Skip(1))
        {
            if (item.StartsWith(";SECTION=", StringComparison.OrdinalIgnoreCase))
            {
                section = Uri.UnescapeDataString(item[9..]);
            }
            else if (item.StartsWith(";PARTIAL=", StringComparison.OrdinalIgnoreCase))
            {
                var p = item[9..].Split('.');
                if (p.Length > 2 || !long.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out var o))
                    return false;
                partialOffset = o;
                if (p.Length == 2)
                {
                    if (!long.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out var l) || l == 0)
                        return false;
                    partialLength = l;
                }
            }
            else
            {
                return false;
            }
        }
        string mailbox;
        try
        {
            mailbox = Uri.UnescapeDataString(mailboxPart);
        }
        catch (UriFormatException)
        {
            return false;
        }
        parsed = new ParsedUrl(mailbox, uidValidity, uid, section, partialOffset, partialLength);
        return mailbox.Length > 0;
    }
}

using System.Net;
using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Tern.Store.Search;

/// <summary>The searchable text of one message, already folded with <see cref="UnicodeCasemap"/>: the index keeps it, and
/// a search without the index evaluates against exactly the same strings, so both give the same answer.</summary>
/// <param name="Subject">Values of the Subject fields (RFC 2047 decoded), one per line; likewise From, To, Cc, Bcc.</param>
/// <param name="Headers">Every header field of the message as "Name: decoded value", one per line.</param>
/// <param name="Body">Every text/* part (also inside message/rfc822), decoded from its transfer encoding and charset,
/// HTML reduced to its text, parts separated by a line break.</param>
/// <param name="Truncated">More text than <see cref="MessageTextExtractor.MaxBodyChars"/> or
/// <see cref="MessageTextExtractor.MaxHeaderChars"/>: the index holds only the beginning, so searches confirm such a
/// message by extracting it again without a cap.</param>
public sealed record MessageText(string Subject, string From, string To, string Cc, string Bcc, string Headers, string Body, bool Truncated);

/// <summary>The header data SORT and THREAD need (RFC 5256), decoded; stored with the text at delivery.</summary>
public sealed record MessageSortFields(
    DateTimeOffset? SentDate, string? Subject,
    EnvelopeAddress? From, EnvelopeAddress? To, EnvelopeAddress? Cc,
    string? MessageId, string? InReplyTo, IReadOnlyList<string> References);

/// <summary>Reads a message once for the text index and the sort fields, in bounded memory: the parser leaves part
/// contents in the file (persistent mode) and at most <see cref="MaxBodyChars"/> characters of body text are read.</summary>
public static class MessageTextExtractor
{
    // Legacy charsets (iso-8859-9, windows-1252, koi8-r...) for MimeKit's decoding: without the provider .NET knows only
    // the Unicode encodings and Latin-1, and MimeKit falls back to Latin-1.
    static MessageTextExtractor() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Cap on the decoded body text indexed per message (about 2 MB in memory while indexing).</summary>
    public const int MaxBodyChars = 1 << 20;

    /// <summary>References ids kept per message for THREAD.</summary>
    public const int MaxReferences = 500;

    /// <summary>Cap on the header text indexed per message.</summary>
    public const int MaxHeaderChars = 1 << 16;

    public static (MessageText Text, MessageSortFields Sort) Extract(Stream seekableStream, int maxBodyChars = MaxBodyChars, int maxHeaderChars = MaxHeaderChars)
    {
        var parser = new MimeParser(seekableStream, MimeFormat.Entity, persistent: true);
        using var message = parser.ParseMessage();
        bool truncated = false;
        var headers = new StringBuilder();
        var fields = new Dictionary<string, StringBuilder>(StringComparer.OrdinalIgnoreCase)
        {
            ["Subject"] = new(), ["From"] = new(), ["To"] = new(), ["Cc"] = new(), ["Bcc"] = new(),
        };
        foreach (var header in message.Headers)
        {
            // A decoded encoded-word may carry a line break; the text keeps one line per field.
            string value = (header.Value ?? "").Replace('\r', ' ').Replace('\n', ' ');
            if (headers.Length + header.Field.Length + value.Length + 3 > maxHeaderChars)
            {
                truncated = true;
                break;
            }
            headers.Append(header.Field).Append(": ").Append(value).Append('\n');
            if (fields.TryGetValue(header.Field, out var field))
                field.Append(value).Append('\n');
        }
        var body = new StringBuilder();
        AppendText(message.Body, body, maxBodyChars, ref truncated);
        var text = new MessageText(
            UnicodeCasemap.Fold(fields["Subject"].ToString()), UnicodeCasemap.Fold(fields["From"].ToString()),
            UnicodeCasemap.Fold(fields["To"].ToString()), UnicodeCasemap.Fold(fields["Cc"].ToString()),
            UnicodeCasemap.Fold(fields["Bcc"].ToString()), UnicodeCasemap.Fold(headers.ToString()),
            UnicodeCasemap.Fold(body.ToString()), truncated);
        return (text, SortFields(message));
    }

    static MessageSortFields SortFields(MimeMessage message)
    {
        DateTimeOffset? sent = null;
        if (message.Headers[HeaderId.Date] is { } date && DateUtils.TryParse(date, out var parsed))
            sent = parsed;
        // RFC 5256 3 (REFERENCES 1): References if present, else the first message-id of In-Reply-To.
        // Bounded: the last MaxReferences ids (the nearest ancestors), so that a crafted header cannot make THREAD's
        // loop checks quadratic.
        var references = message.References.Where(r => r.Length > 0).TakeLast(MaxReferences).ToList();
        return new MessageSortFields(sent, message.Headers[HeaderId.Subject], First(message.From), First(message.To), First(message.Cc),
            NullIfEmpty(message.MessageId), NullIfEmpty(message.InReplyTo), references);
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    static EnvelopeAddress? First(InternetAddressList list)
    {
        var mailbox = list.Mailboxes.FirstOrDefault();
        if (mailbox is null)
            return null;
        return new EnvelopeAddress(NullIfEmpty(mailbox.Name), null, mailbox.LocalPart, NullIfEmpty(mailbox.Domain));
    }

    static void AppendText(MimeEntity? entity, StringBuilder body, int max, ref bool truncated)
    {
        switch (entity)
        {
            case Multipart multipart:
                foreach (var child in multipart)
                    AppendText(child, body, max, ref truncated);
                break;
            case MessagePart { Message: { } embedded }:
                AppendText(embedded.Body, body, max, ref truncated);
                break;
            case MimePart part when part.ContentType.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase) && part.Content is not null:
            {
                int room = max - body.Length;
                if (room <= 0)
                {
                    truncated = true;
                    return;
                }
                bool html = part.ContentType.MediaSubtype.Equals("html", StringComparison.OrdinalIgnoreCase);
                // HTML loses its markup when stripped, so read more of it to fill the same room.
                long budget = html ? Math.Min((long)room * 4, int.MaxValue) : room;
                string raw = ReadText(part, (int)budget, out bool more);
                string text = html ? HtmlText.Strip(raw) : raw;
                if (text.Length > room)
                {
                    text = text[..room];
                    more = true;
                }
                truncated |= more;
                if (body.Length > 0)
                    body.Append('\n');
                body.Append(text);
                break;
            }
        }
    }

    static string ReadText(MimePart part, int maxChars, out bool more)
    {
        Encoding encoding = new UTF8Encoding(false, false);
        if (part.ContentType.Charset is { Length: > 0 })
        {
            // An unknown charset reads as UTF-8, like a missing one.
            try { encoding = part.ContentType.CharsetEncoding ?? encoding; }
            catch (NotSupportedException) { }
            catch (ArgumentException) { }
        }
        using var stream = part.Content!.Open();
        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false);
        var sb = new StringBuilder();
        var buffer = new char[8192];
        while (sb.Length < maxChars)
        {
            int n = reader.Read(buffer, 0, Math.Min(buffer.Length, maxChars - sb.Length));
            if (n == 0)
            {
                more = false;
                return sb.ToString();
            }
            sb.Append(buffer, 0, n);
        }
        more = reader.Peek() >= 0;
        return sb.ToString();
    }
}

/// <summary>Reduces HTML to its text for searching: tags dropped (block tags become line breaks), script and style
/// contents dropped, character references decoded.</summary>
public static class HtmlText
{
    static readonly string[] Skipped = ["script", "style", "head"];

    public static string Strip(string html)
    {
        var sb = new StringBuilder(html.Length / 2);
        int i = 0;
        while (i < html.Length)
        {
            char c = html[i];
            if (c != '<')
            {
                int next = html.IndexOf('<', i);
                if (next < 0) next = html.Length;
                sb.Append(WebUtility.HtmlDecode(html[i..next]));
                i = next;
                continue;
            }
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                int end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = end < 0 ? html.Length : end + 3;
                continue;
            }
            int close = html.IndexOf('>', i + 1);
            if (close < 0)
                break;
            bool closing = html[i + 1] == '/';
            var tag = TagName(html, i + 1, close);
            i = close + 1;
            if (!closing && Skipped.Contains(tag))
            {
                int end = html.IndexOf("</" + tag, i, StringComparison.OrdinalIgnoreCase);
                i = end < 0 ? html.Length : end;
                continue;
            }
            if (tag is "br" or "p" or "div" or "tr" or "li" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "td" or "th")
                sb.Append(tag is "td" or "th" ? ' ' : '\n');
        }
        return sb.ToString();
    }

    static string TagName(string html, int start, int end)
    {
        int s = start;
        if (s < end && html[s] == '/') s++;
        int e = s;
        while (e < end && char.IsAsciiLetterOrDigit(html[e])) e++;
        return html[s..e].ToLowerInvariant();
    }
}

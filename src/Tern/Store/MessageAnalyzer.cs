using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Tern.Store;

/// <summary>Parses a stored message once (at delivery) into what ENVELOPE, BODYSTRUCTURE and BODY[section] need:
/// header fields, MIME parameters, and the offset, length and line count of every part in the stored octets.</summary>
/// <remarks>Offsets come from MimeKit's parser events in one pass over the stream (persistent mode: part bodies are
/// not copied into memory). A part's body inside a multipart ends before the CRLF that precedes the next boundary
/// delimiter, which belongs to the delimiter (RFC 2046 5.1.1). A top-level part's body runs to the end of the message.</remarks>
public static class MessageAnalyzer
{
    sealed record Span(long Begin, long HeadersEnd, long End, int Lines);

    /// <summary>Analyzes a message. The stream must be seekable and positioned at the start of the message.</summary>
    public static MessageStructure Analyze(Stream seekableStream)
    {
        ArgumentNullException.ThrowIfNull(seekableStream);
        if (!seekableStream.CanSeek)
            throw new ArgumentException("the stream must be seekable", nameof(seekableStream));
        long origin = seekableStream.Position;
        var entities = new Dictionary<MimeEntity, Span>(ReferenceEqualityComparer.Instance);
        var entityBegins = new Dictionary<MimeEntity, long>(ReferenceEqualityComparer.Instance);
        var messages = new Dictionary<MimeMessage, Span>(ReferenceEqualityComparer.Instance);
        var messageBegins = new Dictionary<MimeMessage, long>(ReferenceEqualityComparer.Instance);

        var parser = new MimeParser(seekableStream, MimeFormat.Entity, persistent: true);
        parser.MimeEntityBegin += (_, e) => entityBegins[e.Entity] = e.BeginOffset;
        parser.MimeEntityEnd += (_, e) => entities[e.Entity] = new Span(entityBegins[e.Entity], e.HeadersEndOffset, e.EndOffset, e.Lines);
        parser.MimeMessageBegin += (_, e) => messageBegins[e.Message] = e.BeginOffset;
        parser.MimeMessageEnd += (_, e) => messages[e.Message] = new Span(messageBegins[e.Message], e.HeadersEndOffset, e.EndOffset, 0);
        MimeMessage message;
        try
        {
            message = parser.ParseMessage();
        }
        catch (FormatException)
        {
            // Content that does not start with a header field (a bare line of text): still mail that was accepted, so it
            // is stored as a message with an empty header and all of it as a text/plain body, as Dovecot shows it.
            return Headerless(seekableStream, origin);
        }

        var context = new Context(entities, messages, origin);
        var top = context.MessagePart(message);
        return new MessageStructure(BuildEnvelope(message), top);
    }

    static MessageStructure Headerless(Stream stream, long origin)
    {
        stream.Position = origin;
        long length = 0;
        int lines = 0;
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            length += n;
            lines += buffer.AsSpan(0, n).Count((byte)'\n');
        }
        var body = new BodyPart("text", "plain", [KeyValuePair.Create("charset", "us-ascii")], null, null, null, null, null, [], [], null,
            HeaderOffset: 0, HeaderLength: 0, BodyOffset: 0, BodyLength: length, BodyLines: lines, Parts: [], Message: null, MessageEnvelope: null);
        return new MessageStructure(new Envelope(null, null, [], [], [], [], [], [], null, null), body);
    }

    sealed class Context(Dictionary<MimeEntity, Span> entities, Dictionary<MimeMessage, Span> messages, long origin)
    {
        /// <summary>The top part of a (possibly embedded) message: its header is the message header.</summary>
        public BodyPart MessagePart(MimeMessage message)
        {
            var span = messages[message];
            var body = message.Body;
            if (body is null || !entities.TryGetValue(body, out var bodySpan))
            {
                // A message with no body at all: header only.
                return Part(null, message.Headers, span.Begin, span.HeadersEnd, span.End, 0, [], null, null, noContentType: true);
            }
            return Entity(body, span.Begin, span.HeadersEnd, message.Headers);
        }

        public BodyPart Entity(MimeEntity entity, long? headerBegin = null, long? headersEnd = null, HeaderList? messageHeaders = null)
        {
            var span = entities[entity];
            long begin = headerBegin ?? span.Begin;
            long bodyStart = headersEnd ?? span.HeadersEnd;
            var headers = messageHeaders ?? entity.Headers;
            bool noContentType = !headers.Contains(HeaderId.ContentType) && !entity.Headers.Contains(HeaderId.ContentType);
            IReadOnlyList<BodyPart> parts = [];
            BodyPart? embedded = null;
            Envelope? embeddedEnvelope = null;
            if (entity is Multipart multipart)
                parts = multipart.Select(child => Entity(child)).ToList();
            else if (entity is MessagePart messagePart && messagePart.Message is { } inner && messages.ContainsKey(inner))
            {
                embedded = MessagePart(inner);
                embeddedEnvelope = BuildEnvelope(inner);
            }
            return Part(entity, entity.Headers, begin, bodyStart, span.End, span.Lines, parts, embedded, embeddedEnvelope, noContentType);
        }

        BodyPart Part(MimeEntity? entity, HeaderList headers, long begin, long bodyStart, long end, int lines,
            IReadOnlyList<BodyPart> parts, BodyPart? embedded, Envelope? embeddedEnvelope, bool noContentType)
        {
            var contentType = entity?.ContentType ?? new ContentType("text", "plain");
            var parameters = contentType.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).ToList();
            // RFC 2045 5.2: no Content-Type means text/plain; charset=us-ascii.
            if (noContentType && contentType.IsMimeType("text", "plain") && parameters.Count == 0)
                parameters.Add(KeyValuePair.Create("charset", "us-ascii"));
            var disposition = entity?.ContentDisposition;
            var languages = Raw(headers, HeaderId.ContentLanguage) is { } lang
                ? lang.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                : [];
            return new BodyPart(
                contentType.MediaType, contentType.MediaSubtype, parameters,
                Raw(headers, HeaderId.ContentId),
                Raw(headers, HeaderId.ContentDescription),
                Raw(headers, HeaderId.ContentTransferEncoding),
                Raw(headers, HeaderId.ContentMd5),
                disposition?.Disposition,
                disposition is null ? [] : disposition.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).ToList(),
                languages,
                Raw(headers, HeaderId.ContentLocation),
                begin - origin, bodyStart - begin, bodyStart - origin, Math.Max(0, end - bodyStart), lines,
                parts, embedded, embeddedEnvelope);
        }
    }

    static Envelope BuildEnvelope(MimeMessage message)
    {
        var headers = message.Headers;
        var from = Addresses(message.From);
        var sender = Addresses(message.Sender is null ? [] : [message.Sender]);
        var replyTo = Addresses(message.ReplyTo);
        // RFC 3501 7.4.2: an absent or empty Sender or Reply-To is set to the From value.
        if (sender.Count == 0) sender = from;
        if (replyTo.Count == 0) replyTo = from;
        return new Envelope(
            Raw(headers, HeaderId.Date),
            Raw(headers, HeaderId.Subject),
            from, sender, replyTo,
            Addresses(message.To), Addresses(message.Cc), Addresses(message.Bcc),
            Raw(headers, HeaderId.InReplyTo),
            Raw(headers, HeaderId.MessageId));
    }

    static List<EnvelopeAddress> Addresses(IEnumerable<InternetAddress> list)
    {
        var result = new List<EnvelopeAddress>();
        foreach (var address in list)
            Add(result, address);
        return result;
    }

    static void Add(List<EnvelopeAddress> result, InternetAddress address)
    {
        switch (address)
        {
            case MailboxAddress mailbox:
                string? route = mailbox.Route.Count == 0 ? null : string.Join(',', mailbox.Route.Select(d => "@" + d));
                string local = mailbox.LocalPart;
                string? domain = string.IsNullOrEmpty(mailbox.Domain) ? null : mailbox.Domain;
                result.Add(new EnvelopeAddress(Phrase(mailbox.Name), route, local, domain));
                break;
            case GroupAddress group:
                // RFC 3501 7.4.2: group start (mailbox = group name, host NIL), members, group end (both NIL).
                result.Add(new EnvelopeAddress(null, null, group.Name ?? "", null));
                foreach (var member in group.Members)
                    Add(result, member);
                result.Add(new EnvelopeAddress(null, null, null, null));
                break;
        }
    }

    /// <summary>MimeKit decodes encoded-words in display names; a non-ASCII name is encoded again (RFC 2047) so that the
    /// ENVELOPE stays what the header said, in ASCII, as for the other envelope strings.</summary>
    static string? Phrase(string? name)
    {
        if (string.IsNullOrEmpty(name)) return null;
        foreach (var c in name)
            if (c > 0x7e) return Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, name));
        return name;
    }

    /// <summary>A header's value as it is in the message, unfolded (RFC 5322 2.2.3) and trimmed; null when absent.</summary>
    static string? Raw(HeaderList headers, HeaderId id)
    {
        int index = headers.IndexOf(id);
        if (index < 0) return null;
        var raw = headers[index].RawValue;
        var text = Encoding.UTF8.GetString(raw);
        var unfolded = new StringBuilder(text.Length);
        foreach (var c in text)
            if (c is not '\r' and not '\n') unfolded.Append(c);
        return unfolded.ToString().Trim();
    }
}

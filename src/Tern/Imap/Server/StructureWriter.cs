using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>ENVELOPE (RFC 9051 7.5.2) and BODY / BODYSTRUCTURE (RFC 9051 7.5.2, 9 "body") from the stored structure.</summary>
public static class StructureWriter
{
    /// <remarks><code>envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP
    ///   env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"</code></remarks>
    public static void Envelope(ImapResponseWriter w, Envelope e)
    {
        w.Raw('(').NString(e.Date).Space().NString(e.Subject).Space();
        Addresses(w, e.From);
        w.Space();
        // RFC 9051 7.5.2: Sender and Reply-To default to From when absent.
        Addresses(w, e.Sender.Count > 0 ? e.Sender : e.From);
        w.Space();
        Addresses(w, e.ReplyTo.Count > 0 ? e.ReplyTo : e.From);
        w.Space();
        Addresses(w, e.To);
        w.Space();
        Addresses(w, e.Cc);
        w.Space();
        Addresses(w, e.Bcc);
        w.Space().NString(e.InReplyTo).Space().NString(e.MessageId).Raw(')');
    }

    static void Addresses(ImapResponseWriter w, IReadOnlyList<EnvelopeAddress> list)
    {
        if (list.Count == 0)
        {
            w.Raw("NIL"u8);
            return;
        }
        w.Raw('(');
        foreach (var a in list)
            w.Raw('(').NString(a.Name).Space().NString(a.Route).Space().NString(a.Mailbox).Space().NString(a.Host).Raw(')');
        w.Raw(')');
    }

    /// <param name="extensible">BODYSTRUCTURE (with extension data) rather than BODY.</param>
    public static void Body(ImapResponseWriter w, BodyPart part, bool extensible)
    {
        w.Raw('(');
        if (part.IsMultipart)
        {
            // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
            foreach (var child in part.Parts)
                Body(w, child, extensible);
            if (part.Parts.Count == 0)
            {
                // RFC 9051 9 requires at least one body: an empty multipart shows as an empty text/plain part.
                w.Raw("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)"u8);
            }
            w.Space().String(part.MediaSubtype);
            if (extensible)
            {
                // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
                w.Space();
                Parameters(w, part.Parameters);
                w.Space();
                Disposition(w, part);
                w.Space();
                Languages(w, part.Languages);
                w.Space().NString(part.Location);
            }
            w.Raw(')');
            return;
        }
        // body-type-1part: media-type SP body-fields [SP (envelope SP body SP lines) | SP lines] [SP body-ext-1part]
        w.String(part.MediaType).Space().String(part.MediaSubtype).Space();
        Parameters(w, part.Parameters);
        w.Space().NString(part.ContentId).Space().NString(part.ContentDescription).Space()
            .String(part.ContentTransferEncoding ?? "7BIT").Space().Number(part.BodyLength);
        if (part.Message is not null && part.MessageEnvelope is not null)
        {
            w.Space();
            Envelope(w, part.MessageEnvelope);
            w.Space();
            Body(w, part.Message, extensible);
            w.Space().Number(part.BodyLines);
        }
        else if (part.MediaType.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            w.Space().Number(part.BodyLines);
        }
        if (extensible)
        {
            // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
            w.Space().NString(part.ContentMd5).Space();
            Disposition(w, part);
            w.Space();
            Languages(w, part.Languages);
            w.Space().NString(part.Location);
        }
        w.Raw(')');
    }

    static void Parameters(ImapResponseWriter w, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        if (parameters.Count == 0)
        {
            w.Raw("NIL"u8);
            return;
        }
        w.Raw('(');
        for (int i = 0; i < parameters.Count; i++)
        {
            if (i > 0) w.Space();
            // Defensive: a damaged index entry must not end the session.
            w.String(parameters[i].Key ?? "").Space().String(parameters[i].Value ?? "");
        }
        w.Raw(')');
    }

    static void Disposition(ImapResponseWriter w, BodyPart part)
    {
        if (part.Disposition is null)
        {
            w.Raw("NIL"u8);
            return;
        }
        w.Raw('(').String(part.Disposition).Space();
        Parameters(w, part.DispositionParameters);
        w.Raw(')');
    }

    static void Languages(ImapResponseWriter w, IReadOnlyList<string> languages)
    {
        if (languages.Count == 0)
        {
            w.Raw("NIL"u8);
            return;
        }
        if (languages.Count == 1)
        {
            w.String(languages[0]);
            return;
        }
        w.Raw('(');
        for (int i = 0; i < languages.Count; i++)
        {
            if (i > 0) w.Space();
            w.String(languages[i]);
        }
        w.Raw(')');
    }
}

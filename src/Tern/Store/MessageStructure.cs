namespace Tern.Store;

/// <summary>What IMAP's ENVELOPE, BODYSTRUCTURE and BODY[section] need, parsed once at delivery (RFC 3501 7.4.2,
/// RFC 9051 7.5.2) and kept in the index, so that FETCH of metadata never opens the message file.</summary>
/// <param name="Envelope">The ENVELOPE of the whole message.</param>
/// <param name="Body">The top-level part; its <see cref="BodyPart.HeaderOffset"/> is 0.</param>
public sealed record MessageStructure(Envelope Envelope, BodyPart Body);

/// <summary>ENVELOPE fields. Strings are header values unfolded, with encoded-words left as they are in the message
/// (clients decode them); null when the header is absent.</summary>
public sealed record Envelope(
    string? Date,
    string? Subject,
    IReadOnlyList<EnvelopeAddress> From,
    IReadOnlyList<EnvelopeAddress> Sender,
    IReadOnlyList<EnvelopeAddress> ReplyTo,
    IReadOnlyList<EnvelopeAddress> To,
    IReadOnlyList<EnvelopeAddress> Cc,
    IReadOnlyList<EnvelopeAddress> Bcc,
    string? InReplyTo,
    string? MessageId);

/// <summary>One address of an ENVELOPE: (name adl mailbox host). A group is a start marker with
/// <see cref="Host"/> null and <see cref="Mailbox"/> the group name, then its members, then an end marker with
/// both null (RFC 3501 7.4.2).</summary>
public sealed record EnvelopeAddress(string? Name, string? Route, string? Mailbox, string? Host);

/// <summary>One MIME part with where it sits in the stored message.</summary>
/// <param name="HeaderOffset">Offset of the part's header in the message file.</param>
/// <param name="HeaderLength">Octets of the header including the blank line that ends it.</param>
/// <param name="BodyOffset">Offset of the part's body (right after the blank line).</param>
/// <param name="BodyLength">Octets of the body (for a multipart: up to the end of its close delimiter's line).</param>
/// <param name="BodyLines">Lines of the body (for text/* and message/rfc822 in BODYSTRUCTURE).</param>
/// <param name="Parts">Children of a multipart; empty otherwise.</param>
/// <param name="Message">For message/rfc822 (and message/global): the embedded message's top part.</param>
/// <param name="MessageEnvelope">For message/rfc822: the embedded message's ENVELOPE.</param>
public sealed record BodyPart(
    string MediaType,
    string MediaSubtype,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    string? ContentId,
    string? ContentDescription,
    string? ContentTransferEncoding,
    string? ContentMd5,
    string? Disposition,
    IReadOnlyList<KeyValuePair<string, string>> DispositionParameters,
    IReadOnlyList<string> Languages,
    string? Location,
    long HeaderOffset,
    long HeaderLength,
    long BodyOffset,
    long BodyLength,
    int BodyLines,
    IReadOnlyList<BodyPart> Parts,
    BodyPart? Message,
    Envelope? MessageEnvelope)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsMultipart => Parts.Count > 0 || MediaType.Equals("multipart", StringComparison.OrdinalIgnoreCase);
}

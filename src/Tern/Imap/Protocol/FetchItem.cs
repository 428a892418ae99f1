namespace Tern.Imap.Protocol;

public enum FetchItemKind
{
    Envelope, Flags, InternalDate, Rfc822, Rfc822Header, Rfc822Size, Rfc822Text, Body, BodyStructure, Uid,
    /// <summary>BODY[section]&lt;partial&gt; and BODY.PEEK.</summary>
    BodySection,
    /// <summary>BINARY[section]&lt;partial&gt; and BINARY.PEEK (RFC 3516).</summary>
    Binary,
    BinarySize,
    ModSeq,
    // RFC 8474 OBJECTID and RFC 8514 SAVEDATE
    EmailId, ThreadId, SaveDate,
}

/// <summary>section-text of RFC 9051 9.</summary>
public enum SectionText { None, Header, HeaderFields, HeaderFieldsNot, Text, Mime }

/// <param name="Parts">section-part numbers, e.g. [1, 2] for "1.2"; empty for the whole message.</param>
public sealed record Section(IReadOnlyList<uint> Parts, SectionText Text, IReadOnlyList<string> Fields)
{
    public static Section Whole { get; } = new([], SectionText.None, []);

    /// <summary>The section as it is echoed in the response ("1.HEADER.FIELDS (FROM TO)").</summary>
    public override string ToString()
    {
        var s = string.Join('.', Parts);
        string textPart = Text switch
        {
            SectionText.Header => "HEADER",
            SectionText.HeaderFields => "HEADER.FIELDS (" + string.Join(' ', Fields) + ")",
            SectionText.HeaderFieldsNot => "HEADER.FIELDS.NOT (" + string.Join(' ', Fields) + ")",
            SectionText.Text => "TEXT",
            SectionText.Mime => "MIME",
            _ => "",
        };
        return s.Length > 0 && textPart.Length > 0 ? s + "." + textPart : s + textPart;
    }
}

/// <param name="PartialOffset">The origin of "&lt;origin.size&gt;"; null when the whole section is wanted.</param>
public sealed record FetchItem(
    FetchItemKind Kind, Section? Section = null, bool Peek = false, long? PartialOffset = null, long PartialLength = 0)
{
    /// <summary>True for items that set \Seen when fetched (RFC 3501 6.4.5: BODY[...], RFC822, RFC822.TEXT, BINARY[...]).</summary>
    public bool SetsSeen => !Peek && Kind is FetchItemKind.BodySection or FetchItemKind.Rfc822 or FetchItemKind.Rfc822Text or FetchItemKind.Binary;

    /// <summary>True for items that need the message structure from the store.</summary>
    public bool NeedsStructure => Kind is FetchItemKind.Envelope or FetchItemKind.Body or FetchItemKind.BodyStructure
        or FetchItemKind.BodySection or FetchItemKind.Binary or FetchItemKind.BinarySize or FetchItemKind.ThreadId;

    /// <summary>BODY[HEADER], BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)] and RFC822.HEADER: made of the
    /// top-level header alone, which the store may serve from memory (<see cref="Store.IMailAccount.GetHeadersAsync"/>).</summary>
    public bool IsTopLevelHeader => Kind == FetchItemKind.Rfc822Header
        || Kind == FetchItemKind.BodySection && Section!.Parts.Count == 0
            && Section.Text is SectionText.Header or SectionText.HeaderFields or SectionText.HeaderFieldsNot;

    /// <summary>BODY[]: the whole message as stored, with no need of its structure.</summary>
    public bool IsWholeMessage => Kind == FetchItemKind.BodySection && Section!.Parts.Count == 0 && Section.Text == SectionText.None;

    /// <summary>Needs the structure even with the top-level header at hand.</summary>
    public bool NeedsStructureBeyondHeader => Kind == FetchItemKind.Rfc822Text || NeedsStructure && !IsTopLevelHeader && !IsWholeMessage;
}

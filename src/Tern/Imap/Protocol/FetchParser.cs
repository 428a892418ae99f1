namespace Tern.Imap.Protocol;

/// <summary>Parses the data items of FETCH (RFC 9051 6.4.5, 9).</summary>
/// <remarks><code>
/// fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER" / ".TEXT" / ".SIZE"] / "BODY" ["STRUCTURE"] /
///             "UID" / "BODY" section [partial] / "BODY.PEEK" section [partial] /
///             "BINARY" [".PEEK"] section-binary [partial] / "BINARY.SIZE" section-binary
/// section   = "[" [section-spec] "]" ; section-spec = section-msgtext / (section-part ["." section-text])
/// partial   = "&lt;" number64 "." nz-number64 "&gt;"
/// </code></remarks>
public static class FetchParser
{
    /// <summary>Reads "ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")".</summary>
    public static List<FetchItem> Parse(ImapArgumentReader r)
    {
        var items = new List<FetchItem>();
        if (r.TryKeyword("ALL"))
            return [new(FetchItemKind.Flags), new(FetchItemKind.InternalDate), new(FetchItemKind.Rfc822Size), new(FetchItemKind.Envelope)];
        if (r.TryKeyword("FAST"))
            return [new(FetchItemKind.Flags), new(FetchItemKind.InternalDate), new(FetchItemKind.Rfc822Size)];
        if (r.TryKeyword("FULL"))
            return [new(FetchItemKind.Flags), new(FetchItemKind.InternalDate), new(FetchItemKind.Rfc822Size), new(FetchItemKind.Envelope), new(FetchItemKind.Body)];
        if (r.TryOpenList())
        {
            while (true)
            {
                items.Add(ParseOne(r));
                if (r.TryCloseList())
                    break;
                r.Space();
            }
            return items;
        }
        items.Add(ParseOne(r));
        return items;
    }

    static FetchItem ParseOne(ImapArgumentReader r)
    {
        var name = r.AtomWhile(b => ImapChars.IsAtomChar(b) && b != (byte)'[' && b != (byte)'<').ToUpperInvariant();
        switch (name)
        {
            case "ENVELOPE": return new(FetchItemKind.Envelope);
            case "FLAGS": return new(FetchItemKind.Flags);
            case "INTERNALDATE": return new(FetchItemKind.InternalDate);
            case "RFC822": return new(FetchItemKind.Rfc822);
            case "RFC822.HEADER": return new(FetchItemKind.Rfc822Header);
            case "RFC822.SIZE": return new(FetchItemKind.Rfc822Size);
            case "RFC822.TEXT": return new(FetchItemKind.Rfc822Text);
            case "BODYSTRUCTURE": return new(FetchItemKind.BodyStructure);
            case "UID": return new(FetchItemKind.Uid);
            case "MODSEQ": return new(FetchItemKind.ModSeq);
            case "EMAILID": return new(FetchItemKind.EmailId);      // RFC 8474
            case "THREADID": return new(FetchItemKind.ThreadId);
            case "SAVEDATE": return new(FetchItemKind.SaveDate);    // RFC 8514
            case "BODY" when !r.PeekIs('['): return new(FetchItemKind.Body);
            case "BODY" or "BODY.PEEK":
            {
                var section = ParseSection(r);
                var (offset, length) = ParsePartial(r);
                return new(FetchItemKind.BodySection, section, name == "BODY.PEEK", offset, length);
            }
            case "BINARY" or "BINARY.PEEK" or "BINARY.SIZE":
            {
                var parts = ParseBinarySection(r);
                if (name == "BINARY.SIZE")
                    return new(FetchItemKind.BinarySize, new Section(parts, SectionText.None, []));
                var (offset, length) = ParsePartial(r);
                return new(FetchItemKind.Binary, new Section(parts, SectionText.None, []), name == "BINARY.PEEK", offset, length);
            }
            default:
                throw new ImapParseException($"Unknown FETCH item {name}");
        }
    }

    /// <summary>section = "[" [section-spec] "]".</summary>
    public static Section ParseSection(ImapArgumentReader r)
    {
        r.Expect('[');
        if (r.TryExpect(']'))
            return Section.Whole;
        var parts = new List<uint>();
        SectionText text = SectionText.None;
        var fields = new List<string>();
        while (true)
        {
            if (r.Peek() is >= (byte)'0' and <= (byte)'9')
            {
                parts.Add(r.NzNumber());
                if (parts.Count > 100)
                    throw new ImapParseException("Section part too deep");
                if (r.TryExpect('.'))
                    continue;
                break;
            }
            var word = r.AtomWhile(b => (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '.').ToUpperInvariant();
            text = word switch
            {
                "HEADER" => SectionText.Header,
                "HEADER.FIELDS" => SectionText.HeaderFields,
                "HEADER.FIELDS.NOT" => SectionText.HeaderFieldsNot,
                "TEXT" => SectionText.Text,
                "MIME" when parts.Count > 0 => SectionText.Mime,
                _ => throw new ImapParseException($"Invalid section {word}"),
            };
            if (text is SectionText.HeaderFields or SectionText.HeaderFieldsNot)
            {
                r.Space();
                r.OpenList();
                while (true)
                {
                    // header-fld-name = astring
                    fields.Add(r.AString().ToUpperInvariant());
                    if (r.TryCloseList())
                        break;
                    r.Space();
                }
            }
            break;
        }
        r.Expect(']');
        return new Section(parts, text, fields);
    }

    /// <summary>section-binary = "[" [section-part] "]".</summary>
    static List<uint> ParseBinarySection(ImapArgumentReader r)
    {
        r.Expect('[');
        var parts = new List<uint>();
        if (r.TryExpect(']'))
            return parts;
        while (true)
        {
            parts.Add(r.NzNumber());
            if (parts.Count > 100)
                throw new ImapParseException("Section part too deep");
            if (!r.TryExpect('.'))
                break;
        }
        r.Expect(']');
        return parts;
    }

    static (long?, long) ParsePartial(ImapArgumentReader r)
    {
        if (!r.TryExpect('<'))
            return (null, 0);
        long offset = r.Number64();
        r.Expect('.');
        long length = r.Number64();
        if (length == 0)
            throw new ImapParseException("Partial length must not be zero");
        r.Expect('>');
        return (offset, length);
    }
}

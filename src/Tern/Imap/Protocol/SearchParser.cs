namespace Tern.Imap.Protocol;

/// <summary>Parses SEARCH arguments (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731 RETURN, RFC 5182 SAVE).</summary>
/// <remarks><code>
/// search         = "SEARCH" [search-return-opts] SP search-program
/// search-program = ["CHARSET" SP charset SP] search-key *(SP search-key)
/// </code></remarks>
public static class SearchParser
{
    /// <summary>Caps the number of keys in one command (bad input: a search of a million keys).</summary>
    public const int MaxKeys = 1000;

    public static SearchCommand Parse(ImapArgumentReader r)
    {
        SearchReturn? ret = null;
        PartialRange? partial = null;
        string? charset = null;
        if (r.TryKeyword("RETURN"))
        {
            r.Space();
            (ret, partial) = ParseReturn(r);
            r.Space();
        }
        if (r.TryKeyword("CHARSET"))
        {
            r.Space();
            charset = r.AString();
            r.Space();
        }
        return new SearchCommand(charset, ParseProgram(r), ret, partial);
    }

    /// <summary>The search keys up to the end of the command (also the search criteria of SORT and THREAD, RFC 5256).</summary>
    public static SearchKey ParseProgram(ImapArgumentReader r)
    {
        int count = 0;
        var keys = new List<SearchKey>();
        while (true)
        {
            keys.Add(ParseKey(r, ref count));
            if (r.AtEnd)
                break;
            r.Space();
        }
        return keys.Count == 1 ? keys[0] : new SearchKey(SearchKeyKind.And, keys);
    }

    /// <summary>RFC 4731 search-return-opts, also ESORT's (RFC 5267), with RFC 9394 PARTIAL.</summary>
    /// <remarks><code>
    /// partial-range-first = nz-number ":" nz-number
    /// partial-range-last  = MINUS nz-number ":" MINUS nz-number
    /// </code></remarks>
    public static (SearchReturn Return, PartialRange? Partial) ParseReturn(ImapArgumentReader r)
    {
        r.OpenList();
        var ret = SearchReturn.None;
        PartialRange? partial = null;
        if (r.TryCloseList())
            return (SearchReturn.All, null); // RFC 4731 3.1: "RETURN ()" means ALL
        while (true)
        {
            var option = r.Atom().ToUpperInvariant();
            if (option == "PARTIAL")
            {
                r.Space();
                partial = ParsePartial(r);
            }
            ret |= option switch
            {
                "PARTIAL" => SearchReturn.Partial,
                "MIN" => SearchReturn.Min,
                "MAX" => SearchReturn.Max,
                "ALL" => SearchReturn.All,
                "COUNT" => SearchReturn.Count,
                "SAVE" => SearchReturn.Save,
                _ => throw new ImapParseException($"Unknown search return option {option}"),
            };
            if (r.TryCloseList())
                break;
            r.Space();
        }
        // RFC 9394 3.1: PARTIAL and ALL are mutually exclusive.
        if (ret.HasFlag(SearchReturn.Partial) && ret.HasFlag(SearchReturn.All))
            throw new ImapParseException("PARTIAL and ALL cannot be combined");
        return (ret, partial);
    }

    static PartialRange ParsePartial(ImapArgumentReader r)
    {
        var text = r.AtomWhile(b => b is (byte)'-' or (byte)':' || b is >= (byte)'0' and <= (byte)'9');
        var parts = text.Split(':');
        if (parts.Length != 2 || !long.TryParse(parts[0], out long first) || !long.TryParse(parts[1], out long last)
            || first == 0 || last == 0 || (first < 0) != (last < 0) || Math.Abs(first) > uint.MaxValue || Math.Abs(last) > uint.MaxValue
            || parts[0].StartsWith("-0", StringComparison.Ordinal) || parts[0].StartsWith('0')
            || parts[1].StartsWith("-0", StringComparison.Ordinal) || parts[1].StartsWith('0'))
            throw new ImapParseException($"Bad partial range {text}");
        return new PartialRange(first, last);
    }

    static SearchKey ParseKey(ImapArgumentReader r, ref int count)
    {
        if (++count > MaxKeys)
            throw new ImapParseException("Too many search keys");
        if (r.TryOpenList())
        {
            var list = new List<SearchKey>();
            while (true)
            {
                list.Add(ParseKey(r, ref count));
                if (r.TryCloseList())
                    break;
                r.Space();
            }
            return list.Count == 1 ? list[0] : new SearchKey(SearchKeyKind.And, list);
        }
        byte first = r.Peek();
        if (first is (byte)'$' or (byte)'*' || first is >= (byte)'0' and <= (byte)'9')
            return new SearchKey(SearchKeyKind.SequenceSet, Set: r.SequenceSet());

        var word = r.Atom().ToUpperInvariant();
        switch (word)
        {
            case "ALL": return new(SearchKeyKind.All);
            case "ANSWERED": return new(SearchKeyKind.Answered);
            case "DELETED": return new(SearchKeyKind.Deleted);
            case "DRAFT": return new(SearchKeyKind.Draft);
            case "FLAGGED": return new(SearchKeyKind.Flagged);
            case "SEEN": return new(SearchKeyKind.Seen);
            case "RECENT": return new(SearchKeyKind.Recent);
            case "NEW": return new(SearchKeyKind.New);
            case "OLD": return new(SearchKeyKind.Old);
            case "UNANSWERED": return new(SearchKeyKind.Unanswered);
            case "UNDELETED": return new(SearchKeyKind.Undeleted);
            case "UNDRAFT": return new(SearchKeyKind.Undraft);
            case "UNFLAGGED": return new(SearchKeyKind.Unflagged);
            case "UNSEEN": return new(SearchKeyKind.Unseen);
            case "KEYWORD": r.Space(); return new(SearchKeyKind.Keyword, Value: r.Flag());
            case "UNKEYWORD": r.Space(); return new(SearchKeyKind.Unkeyword, Value: r.Flag());
            case "BCC": r.Space(); return new(SearchKeyKind.Bcc, Value: r.AString());
            case "CC": r.Space(); return new(SearchKeyKind.Cc, Value: r.AString());
            case "FROM": r.Space(); return new(SearchKeyKind.From, Value: r.AString());
            case "TO": r.Space(); return new(SearchKeyKind.To, Value: r.AString());
            case "SUBJECT": r.Space(); return new(SearchKeyKind.Subject, Value: r.AString());
            case "BODY": r.Space(); return new(SearchKeyKind.Body, Value: r.AString());
            case "TEXT": r.Space(); return new(SearchKeyKind.Text, Value: r.AString());
            case "HEADER":
            {
                r.Space();
                var field = r.AString();
                r.Space();
                return new(SearchKeyKind.Header, Field: field, Value: r.AString());
            }
            case "BEFORE": r.Space(); return new(SearchKeyKind.Before, Date: r.Date());
            case "ON": r.Space(); return new(SearchKeyKind.On, Date: r.Date());
            case "SINCE": r.Space(); return new(SearchKeyKind.Since, Date: r.Date());
            case "SENTBEFORE": r.Space(); return new(SearchKeyKind.SentBefore, Date: r.Date());
            case "SENTON": r.Space(); return new(SearchKeyKind.SentOn, Date: r.Date());
            case "SENTSINCE": r.Space(); return new(SearchKeyKind.SentSince, Date: r.Date());
            case "LARGER": r.Space(); return new(SearchKeyKind.Larger, Number: r.Number64());
            case "SMALLER": r.Space(); return new(SearchKeyKind.Smaller, Number: r.Number64());
            case "UID": r.Space(); return new(SearchKeyKind.Uid, Set: r.SequenceSet());
            case "NOT": r.Space(); return new(SearchKeyKind.Not, [ParseKey(r, ref count)]);
            case "OR":
            {
                r.Space();
                var a = ParseKey(r, ref count);
                r.Space();
                var b = ParseKey(r, ref count);
                return new(SearchKeyKind.Or, [a, b]);
            }
            case "SAVEDBEFORE": r.Space(); return new(SearchKeyKind.SavedBefore, Date: r.Date());   // RFC 8514
            case "SAVEDON": r.Space(); return new(SearchKeyKind.SavedOn, Date: r.Date());
            case "SAVEDSINCE": r.Space(); return new(SearchKeyKind.SavedSince, Date: r.Date());
            case "SAVEDATESUPPORTED": return new(SearchKeyKind.SaveDateSupported);
            case "OLDER": r.Space(); return new(SearchKeyKind.Older, Number: r.NzNumber());            // RFC 5032
            case "YOUNGER": r.Space(); return new(SearchKeyKind.Younger, Number: r.NzNumber());
            case "EMAILID": r.Space(); return new(SearchKeyKind.EmailId, Value: ObjectId(r));           // RFC 8474
            case "THREADID": r.Space(); return new(SearchKeyKind.ThreadId, Value: ObjectId(r));
            case "MODSEQ":
            {
                // RFC 7162 3.1.5: MODSEQ [entry-name entry-type-req] mod-sequence-valzer. Tern keeps one MODSEQ per
                // message, not one per flag, so a valid entry is checked and then matched like the plain form.
                r.Space();
                if (r.PeekIs('"'))
                {
                    var entry = System.Text.Encoding.UTF8.GetString(r.Quoted());
                    if (!entry.StartsWith("/flags/", StringComparison.OrdinalIgnoreCase) || entry.Length == "/flags/".Length)
                        throw new ImapParseException($"Invalid MODSEQ entry name {entry} (expected \"/flags/<flag>\")");
                    r.Space();
                    var type = r.Atom().ToLowerInvariant();
                    if (type is not ("priv" or "shared" or "all"))
                        throw new ImapParseException($"Invalid MODSEQ entry type {type} (expected priv, shared or all)");
                    r.Space();
                }
                return new(SearchKeyKind.ModSeq, Number: SyncParameters.ModSeqValue(r, allowZero: true));
            }
            default:
                throw new ImapParseException($"Unknown search key {word}");
        }
    }

    /// <summary>RFC 8474 objectid = 1*255(ALPHA / DIGIT / "_" / "-").</summary>
    static string ObjectId(ImapArgumentReader r)
    {
        static bool Allowed(byte b) => b is (byte)'_' or (byte)'-' || char.IsAsciiLetterOrDigit((char)b);
        var id = r.AtEnd || !Allowed(r.Peek()) ? "" : r.AtomWhile(Allowed);
        if (id.Length is 0 or > 255 || !(r.AtEnd || r.PeekIs(' ') || r.PeekIs(')')))
            throw new ImapParseException("Invalid object id (expected 1 to 255 letters, digits, \"_\" or \"-\")");
        return id;
    }
}

namespace Tern.Imap.Protocol;

/// <summary>RFC 5256 sort criteria, with RFC 5957's display keys.</summary>
public enum SortKey { Arrival, Cc, Date, From, Size, Subject, To, DisplayFrom, DisplayTo }

public sealed record SortCriterion(SortKey Key, bool Reverse);

/// <param name="Return">ESORT (RFC 5267) return options; null for a plain SORT.</param>
public sealed record SortCommand(IReadOnlyList<SortCriterion> Criteria, string Charset, SearchKey Key, SearchReturn? Return, PartialRange? Partial);

public enum ThreadAlgorithm { OrderedSubject, References }

public sealed record ThreadCommand(ThreadAlgorithm Algorithm, string Charset, SearchKey Key);

/// <summary>Parses SORT and THREAD arguments (RFC 5256 5, RFC 5267 ESORT, RFC 9394 PARTIAL).</summary>
/// <remarks><code>
/// sort           = ["UID" SP] "SORT" [SP sort-return-opts] SP sort-criteria SP search-criteria
/// sort-criteria  = "(" sort-criterion *(SP sort-criterion) ")"
/// sort-criterion = ["REVERSE" SP] sort-key
/// sort-key       = "ARRIVAL" / "CC" / "DATE" / "FROM" / "SIZE" / "SUBJECT" / "TO" / "DISPLAYFROM" / "DISPLAYTO"
/// search-criteria = charset 1*(SP search-key)
/// thread         = ["UID" SP] "THREAD" SP thread-alg SP search-criteria
/// </code></remarks>
public static class SortParser
{
    public static SortCommand ParseSort(ImapArgumentReader r)
    {
        SearchReturn? ret = null;
        PartialRange? partial = null;
        if (r.TryKeyword("RETURN"))
        {
            r.Space();
            (ret, partial) = SearchParser.ParseReturn(r);
            r.Space();
        }
        r.OpenList();
        var criteria = new List<SortCriterion>();
        while (true)
        {
            var word = r.Atom().ToUpperInvariant();
            bool reverse = false;
            if (word == "REVERSE")
            {
                reverse = true;
                r.Space();
                word = r.Atom().ToUpperInvariant();
            }
            var key = word switch
            {
                "ARRIVAL" => SortKey.Arrival,
                "CC" => SortKey.Cc,
                "DATE" => SortKey.Date,
                "FROM" => SortKey.From,
                "SIZE" => SortKey.Size,
                "SUBJECT" => SortKey.Subject,
                "TO" => SortKey.To,
                "DISPLAYFROM" => SortKey.DisplayFrom,
                "DISPLAYTO" => SortKey.DisplayTo,
                _ => throw new ImapParseException($"Unknown sort key {word}"),
            };
            criteria.Add(new SortCriterion(key, reverse));
            if (criteria.Count > 32)
                throw new ImapParseException("Too many sort criteria");
            if (r.TryCloseList())
                break;
            r.Space();
        }
        r.Space();
        var charset = r.AString();
        r.Space();
        return new SortCommand(criteria, charset, SearchParser.ParseProgram(r), ret, partial);
    }

    public static ThreadCommand ParseThread(ImapArgumentReader r)
    {
        var word = r.Atom().ToUpperInvariant();
        var algorithm = word switch
        {
            "ORDEREDSUBJECT" => ThreadAlgorithm.OrderedSubject,
            "REFERENCES" => ThreadAlgorithm.References,
            _ => throw new ImapParseException($"Unknown threading algorithm {word}"),
        };
        r.Space();
        var charset = r.AString();
        r.Space();
        return new ThreadCommand(algorithm, charset, SearchParser.ParseProgram(r));
    }

    /// <summary>The charsets SEARCH, SORT and THREAD accept (none given: US-ASCII); any other gets
    /// NO [BADCHARSET (UTF-8 US-ASCII)] (RFC 9051 6.4.4, RFC 5256 3).</summary>
    public static bool IsSupportedCharset(string? charset) =>
        charset is null || charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase);
}

namespace Tern.Imap.Protocol;

public enum SearchKeyKind
{
    All, And, Or, Not, SequenceSet, Uid,
    Answered, Deleted, Draft, Flagged, Seen, Recent, New, Old,
    Unanswered, Undeleted, Undraft, Unflagged, Unseen, Keyword, Unkeyword,
    Bcc, Cc, From, To, Subject, Body, Text, Header,
    Before, On, Since, SentBefore, SentOn, SentSince,
    Larger, Smaller, ModSeq,
    // RFC 8514 SAVEDATE, RFC 5032 WITHIN, RFC 8474 OBJECTID
    SavedBefore, SavedOn, SavedSince, SaveDateSupported, Older, Younger, EmailId, ThreadId,
}

/// <summary>One search-key of RFC 9051 6.4.4 as a tree: And/Or/Not combine <see cref="Children"/>.</summary>
public sealed record SearchKey(
    SearchKeyKind Kind,
    IReadOnlyList<SearchKey>? Children = null,
    string? Value = null,
    string? Field = null,
    DateOnly Date = default,
    long Number = 0,
    SequenceSet? Set = null)
{
    /// <summary>True when the key needs the message text (header or body), not only the index.</summary>
    public bool NeedsContent => Kind is SearchKeyKind.Bcc or SearchKeyKind.Cc or SearchKeyKind.From or SearchKeyKind.To
        or SearchKeyKind.Subject or SearchKeyKind.Body or SearchKeyKind.Text or SearchKeyKind.Header or SearchKeyKind.ThreadId
        || (Children?.Any(c => c.NeedsContent) ?? false);

    /// <summary>True when the key needs the Date header (SENT*).</summary>
    public bool NeedsSentDate => Kind is SearchKeyKind.SentBefore or SearchKeyKind.SentOn or SearchKeyKind.SentSince
        || (Children?.Any(c => c.NeedsSentDate) ?? false);

    /// <summary>True when the key uses message sequence numbers.</summary>
    public bool UsesSequenceNumbers => Kind == SearchKeyKind.SequenceSet || (Children?.Any(c => c.UsesSequenceNumbers) ?? false);
}

/// <summary>ESEARCH return options (RFC 4731, RFC 5182 SAVE).</summary>
[Flags]
public enum SearchReturn { None = 0, Min = 1, Max = 2, All = 4, Count = 8, Save = 16, Partial = 32 }

/// <summary>RFC 9394 PARTIAL window: 1-based positions in the result, counted from the end when negative
/// (-1 is the last). <see cref="First"/> and <see cref="Last"/> are as the client sent them.</summary>
public sealed record PartialRange(long First, long Last)
{
    public override string ToString() => $"{First}:{Last}";

    /// <summary>The window as a zero-based start and count within a result of <paramref name="total"/> items.</summary>
    public (int Start, int Count) Window(int total)
    {
        long lo = Math.Min(Math.Abs(First), Math.Abs(Last)), hi = Math.Max(Math.Abs(First), Math.Abs(Last));
        long start = First > 0 ? lo - 1 : total - hi;
        long end = First > 0 ? hi - 1 : total - lo; // inclusive
        start = Math.Max(start, 0);
        end = Math.Min(end, total - 1);
        return end < start ? (0, 0) : ((int)start, (int)(end - start + 1));
    }
}

/// <param name="Return">Null for a plain SEARCH without RETURN.</param>
/// <param name="Partial">The RFC 9394 window when <see cref="SearchReturn.Partial"/> is asked for.</param>
public sealed record SearchCommand(string? Charset, SearchKey Key, SearchReturn? Return, PartialRange? Partial = null);

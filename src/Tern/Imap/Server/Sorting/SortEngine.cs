using Tern.Imap.Protocol;
using Tern.Store;
using Tern.Store.Search;

namespace Tern.Imap.Server.Sorting;

/// <summary>One message of a SORT or THREAD, with the keys RFC 5256 compares.</summary>
public sealed class SortItem(int seq, long uid, MessageSortData data)
{
    public int Seq { get; } = seq;
    public long Uid { get; } = uid;
    public MessageSortData Data { get; } = data;

    /// <summary>RFC 5256 2.2 sent date: the Date header, else INTERNALDATE; compared in UTC.</summary>
    public long SentDate { get; } = (data.SentDate ?? data.InternalDate).UtcTicks;

    string? baseSubject;
    bool replyOrForward;

    /// <summary>The folded base subject (RFC 5256 2.1, compared with i;unicode-casemap).</summary>
    public string BaseSubject
    {
        get
        {
            if (baseSubject is null)
                baseSubject = UnicodeCasemap.Fold(Sorting.BaseSubject.Extract(Data.Subject, out replyOrForward));
            return baseSubject;
        }
    }

    public bool IsReplyOrForward
    {
        get
        {
            _ = BaseSubject;
            return replyOrForward;
        }
    }
}

/// <summary>RFC 5256 SORT (and RFC 5957 DISPLAYFROM/DISPLAYTO): messages equal under every criterion keep sequence
/// number order; REVERSE reverses one criterion, not the tie-break.</summary>
public static class SortEngine
{
    public static List<SortItem> Sort(IEnumerable<SortItem> items, IReadOnlyList<SortCriterion> criteria)
    {
        // Keys computed once per message and criterion, not once per comparison.
        var keyed = items.Select(i => (Item: i, Keys: criteria.Select(c => Key(i, c.Key)).ToArray())).ToArray();
        Array.Sort(keyed, (a, b) =>
        {
            for (int n = 0; n < criteria.Count; n++)
            {
                int c = a.Keys[n] is string sa ? UnicodeCasemap.CompareFolded(sa, (string)b.Keys[n]) : ((long)a.Keys[n]).CompareTo((long)b.Keys[n]);
                if (c != 0)
                    return criteria[n].Reverse ? -c : c;
            }
            return a.Item.Seq.CompareTo(b.Item.Seq);
        });
        return [.. keyed.Select(k => k.Item)];
    }

    static object Key(SortItem item, SortKey key)
    {
        var d = item.Data;
        return key switch
        {
            SortKey.Arrival => d.InternalDate.UtcTicks,
            SortKey.Date => item.SentDate,
            SortKey.Size => d.Size,
            SortKey.Subject => item.BaseSubject,
            // RFC 5256 3: the addr-mailbox of the first address; an empty string when there is none.
            SortKey.From => UnicodeCasemap.Fold(d.From?.Mailbox),
            SortKey.To => UnicodeCasemap.Fold(d.To?.Mailbox),
            SortKey.Cc => UnicodeCasemap.Fold(d.Cc?.Mailbox),
            SortKey.DisplayFrom => UnicodeCasemap.Fold(Display(d.From)),
            SortKey.DisplayTo => UnicodeCasemap.Fold(Display(d.To)),
            _ => 0L,
        };
    }

    /// <summary>RFC 5957 3: the decoded display name when present and not empty, else the addr-spec.</summary>
    static string Display(EnvelopeAddress? address)
    {
        if (address is null)
            return "";
        if (!string.IsNullOrWhiteSpace(address.Name))
            return address.Name;
        return address.Host is null ? address.Mailbox ?? "" : $"{address.Mailbox}@{address.Host}";
    }
}

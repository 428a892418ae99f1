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
    public string BaseSubject => baseSubject ??= SortEngine.Fold(Sorting.BaseSubject.Extract(Data.Subject, out replyOrForward));

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
        var array = items as SortItem[] ?? items.ToArray();
        // Keys computed once per message and criterion, not once per comparison; numbers unboxed.
        var comparer = new KeyComparer(array, criteria);
        var order = new int[array.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        Array.Sort(order, comparer);
        var sorted = new List<SortItem>(array.Length);
        foreach (int i in order)
            sorted.Add(array[i]);
        return sorted;
    }

    /// <summary>i;unicode-casemap folding (RFC 5051) with a fast path for ASCII, where it is plain upper-casing.</summary>
    internal static string Fold(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        bool lower = false;
        foreach (char c in value)
        {
            if (c > 0x7F)
                return UnicodeCasemap.Fold(value);
            lower |= c is >= 'a' and <= 'z';
        }
        if (!lower)
            return value;
        return string.Create(value.Length, value, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                char c = source[i];
                span[i] = c is >= 'a' and <= 'z' ? (char)(c - 32) : c;
            }
        });
    }

    /// <summary>Compares positions in the item array by each criterion in turn, then by sequence number.</summary>
    sealed class KeyComparer : IComparer<int>
    {
        readonly long[]?[] numbers;
        readonly string[]?[] strings;
        readonly bool[] reverse;
        readonly int[] seqs;

        public KeyComparer(SortItem[] items, IReadOnlyList<SortCriterion> criteria)
        {
            numbers = new long[]?[criteria.Count];
            strings = new string[]?[criteria.Count];
            reverse = new bool[criteria.Count];
            seqs = new int[items.Length];
            for (int i = 0; i < items.Length; i++)
                seqs[i] = items[i].Seq;
            for (int n = 0; n < criteria.Count; n++)
            {
                reverse[n] = criteria[n].Reverse;
                var key = criteria[n].Key;
                if (IsNumeric(key))
                {
                    var values = numbers[n] = new long[items.Length];
                    for (int i = 0; i < items.Length; i++)
                        values[i] = Number(items[i], key);
                }
                else
                {
                    var values = strings[n] = new string[items.Length];
                    for (int i = 0; i < items.Length; i++)
                        values[i] = Text(items[i], key);
                }
            }
        }

        public int Compare(int a, int b)
        {
            for (int n = 0; n < reverse.Length; n++)
            {
                int c = numbers[n] is { } values ? values[a].CompareTo(values[b]) : UnicodeCasemap.CompareFolded(strings[n]![a], strings[n]![b]);
                if (c != 0)
                    return reverse[n] ? -c : c;
            }
            return seqs[a].CompareTo(seqs[b]);
        }
    }

    static bool IsNumeric(SortKey key) =>
        key is not (SortKey.Subject or SortKey.From or SortKey.To or SortKey.Cc or SortKey.DisplayFrom or SortKey.DisplayTo);

    static long Number(SortItem item, SortKey key) => key switch
    {
        SortKey.Arrival => item.Data.InternalDate.UtcTicks,
        SortKey.Date => item.SentDate,
        SortKey.Size => item.Data.Size,
        _ => 0L,
    };

    static string Text(SortItem item, SortKey key)
    {
        var d = item.Data;
        return key switch
        {
            SortKey.Subject => item.BaseSubject,
            // RFC 5256 3: the addr-mailbox of the first address; an empty string when there is none.
            SortKey.From => Fold(d.From?.Mailbox),
            SortKey.To => Fold(d.To?.Mailbox),
            SortKey.Cc => Fold(d.Cc?.Mailbox),
            SortKey.DisplayFrom => Fold(Display(d.From)),
            SortKey.DisplayTo => Fold(Display(d.To)),
            _ => "",
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

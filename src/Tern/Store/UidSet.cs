namespace Tern.Store;

/// <summary>A set of UIDs as sorted, non-overlapping inclusive ranges. <see cref="long.MaxValue"/> stands for "*".</summary>
public sealed class UidSet
{
    readonly List<(long First, long Last)> ranges;

    public UidSet(IEnumerable<(long First, long Last)> ranges)
    {
        var sorted = ranges.Select(r => r.First <= r.Last ? r : (r.Last, r.First)).OrderBy(r => r.Item1).ToList();
        this.ranges = [];
        foreach (var r in sorted)
        {
            if (this.ranges.Count > 0 && r.Item1 <= this.ranges[^1].Last + 1 && this.ranges[^1].Last != long.MaxValue)
                this.ranges[^1] = (this.ranges[^1].First, Math.Max(this.ranges[^1].Last, r.Item2));
            else if (this.ranges.Count > 0 && this.ranges[^1].Last == long.MaxValue)
                continue;
            else
                this.ranges.Add(r);
        }
    }

    public static UidSet Of(params long[] uids) => new(uids.Select(u => (u, u)));
    public static UidSet Range(long first, long last) => new([(first, last)]);
    public static UidSet FromSorted(IReadOnlyList<long> uids) => new(uids.Select(u => (u, u)));

    public IReadOnlyList<(long First, long Last)> Ranges => ranges;

    public bool IsEmpty => ranges.Count == 0;

    public bool Contains(long uid)
    {
        int lo = 0, hi = ranges.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (uid < ranges[mid].First) hi = mid - 1;
            else if (uid > ranges[mid].Last) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /// <summary>IMAP form: "1:3,7,9:*".</summary>
    public override string ToString() => string.Join(',', ranges.Select(r =>
        r.First == r.Last ? Fmt(r.First) : $"{Fmt(r.First)}:{Fmt(r.Last)}"));

    static string Fmt(long v) => v == long.MaxValue ? "*" : v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

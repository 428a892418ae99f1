using System.Globalization;
using System.Text;

namespace Tern.Imap.Protocol;

/// <summary>A sequence-set (RFC 9051 9): message numbers or UIDs, with "*" as <see cref="Star"/>, or "$" (RFC 5182
/// SEARCHRES) for the saved search result.</summary>
/// <remarks><code>sequence-set = (seq-number / seq-range) ["," sequence-set] / "$"
/// seq-range = seq-number ":" seq-number ; seq-number = nz-number / "*"</code></remarks>
public sealed record SequenceSet(IReadOnlyList<(uint First, uint Last)> Ranges, bool IsSaved = false)
{
    /// <summary>"*": the largest number in use.</summary>
    public const uint Star = uint.MaxValue;

    public static SequenceSet Saved { get; } = new([], true);

    /// <summary>Resolves "*" to <paramref name="largest"/>, orders each range low to high.</summary>
    public IEnumerable<(uint First, uint Last)> Resolve(uint largest)
    {
        foreach (var (a, b) in Ranges)
        {
            uint x = a == Star ? largest : a, y = b == Star ? largest : b;
            yield return x <= y ? (x, y) : (y, x);
        }
    }

    public override string ToString()
    {
        if (IsSaved)
            return "$";
        var sb = new StringBuilder();
        foreach (var (a, b) in Ranges)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(Fmt(a));
            if (a != b) sb.Append(':').Append(Fmt(b));
        }
        return sb.ToString();
    }

    static string Fmt(uint v) => v == Star ? "*" : v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats sorted numbers compactly ("1:3,7") for responses (COPYUID, ESEARCH ALL).</summary>
    public static string Format(IEnumerable<long> sortedNumbers)
    {
        var sb = new StringBuilder();
        long start = -1, prev = -1;
        foreach (var n in sortedNumbers)
        {
            if (start < 0) { start = prev = n; continue; }
            if (n == prev + 1) { prev = n; continue; }
            Append(sb, start, prev);
            start = prev = n;
        }
        if (start >= 0) Append(sb, start, prev);
        return sb.ToString();

        static void Append(StringBuilder sb, long a, long b)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(a.ToString(CultureInfo.InvariantCulture));
            if (b != a) sb.Append(':').Append(b.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Formats numbers in the given order, pairing them with another list (COPYUID keeps source order).</summary>
    public static string FormatInOrder(IReadOnlyList<long> numbers)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < numbers.Count)
        {
            int j = i;
            while (j + 1 < numbers.Count && numbers[j + 1] == numbers[j] + 1) j++;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(numbers[i].ToString(CultureInfo.InvariantCulture));
            if (j > i) sb.Append(':').Append(numbers[j].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        return sb.ToString();
    }
}

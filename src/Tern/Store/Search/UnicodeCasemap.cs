using System.Globalization;
using System.Text;

namespace Tern.Store.Search;

/// <summary>The i;unicode-casemap collation (RFC 5051) that IMAP SEARCH (RFC 9051 6.4.4) and SORT/THREAD (RFC 5256)
/// compare with: each character mapped to its simple titlecase, then the whole string decomposed (NFKD); two strings
/// are equal when their foldings are equal, ordered by the UTF-8 octets of the foldings.</summary>
/// <remarks>.NET exposes simple uppercase, not simple titlecase, per character. They differ only for the four Latin
/// digraph triples (U+01C4..U+01CC, U+01F1..U+01F3), where uppercase maps the whole triple to one member just as
/// titlecase does, so equality is the same. As RFC 5051 says, ß (which has no simple titlecase) does not fold to ẞ.
/// The process runs with InvariantGlobalization, where <see cref="string.Normalize()"/> leaves non-ASCII text alone,
/// so NFKD uses our own tables (<see cref="UnicodeData"/>, generated from the Unicode Character Database).</remarks>
public static class UnicodeCasemap
{
    static readonly Lazy<Dictionary<int, string>> Decompositions = new(() => Parse(UnicodeData.Decompositions, value =>
    {
        var sb = new StringBuilder();
        foreach (var hex in value.Split(' '))
            sb.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        return sb.ToString();
    }));

    static readonly Lazy<Dictionary<int, byte>> CombiningClasses = new(() =>
        Parse(UnicodeData.CombiningClasses, value => byte.Parse(value, CultureInfo.InvariantCulture)));

    static Dictionary<int, T> Parse<T>(string table, Func<string, T> value)
    {
        var map = new Dictionary<int, T>();
        foreach (var entry in table.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.IndexOf(':');
            map[int.Parse(entry.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = value(entry[(colon + 1)..]);
        }
        return map;
    }

    public static string Fold(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "";
        bool ascii = true;
        foreach (char c in value)
        {
            if (c > 0x7E || c is >= 'a' and <= 'z')
            {
                ascii = false;
                break;
            }
        }
        if (ascii)
            return value;
        var decompositions = Decompositions.Value;
        var sb = new StringBuilder(value.Length + 8);
        bool combining = false;
        foreach (var rune in value.EnumerateRunes()) // ill-formed UTF-16 comes out as U+FFFD
        {
            var upper = Rune.ToUpperInvariant(rune);
            int cp = upper.Value;
            if (cp is >= HangulBase and < HangulBase + HangulCount)
                AppendHangul(sb, cp);
            else if (cp < 0xA0)
                sb.Append((char)cp);
            else if (decompositions.TryGetValue(cp, out var decomposed))
                sb.Append(decomposed);
            else
                sb.Append(upper.ToString());
            combining |= cp >= 0x300;
        }
        if (combining)
            ReorderMarks(sb);
        return sb.ToString();
    }

    const int HangulBase = 0xAC00, HangulCount = 11172, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, TCount = 28, NCount = 588;

    // Unicode 3.12: Hangul syllables decompose arithmetically.
    static void AppendHangul(StringBuilder sb, int cp)
    {
        int s = cp - HangulBase;
        sb.Append((char)(LBase + s / NCount)).Append((char)(VBase + s % NCount / TCount));
        if (s % TCount != 0)
            sb.Append((char)(TBase + s % TCount));
    }

    /// <summary>Canonical ordering (Unicode 3.11): within each run of combining marks, a stable sort by combining class.</summary>
    static void ReorderMarks(StringBuilder sb)
    {
        var classes = CombiningClasses.Value;
        var runes = sb.ToString().EnumerateRunes().ToList();
        bool changed = false;
        for (int i = 0; i < runes.Count; i++)
        {
            if (!classes.TryGetValue(runes[i].Value, out _))
                continue;
            int end = i;
            while (end < runes.Count && classes.ContainsKey(runes[end].Value))
                end++;
            if (end - i > 1)
            {
                var ordered = runes.GetRange(i, end - i).OrderBy(r => classes[r.Value]).ToList(); // OrderBy is stable
                runes.RemoveRange(i, end - i);
                runes.InsertRange(i, ordered);
                changed = true;
            }
            i = end;
        }
        if (!changed)
            return;
        sb.Clear();
        foreach (var r in runes)
            sb.Append(r.ToString());
    }

    /// <summary>Orders two already folded strings by their UTF-8 octets (RFC 5051 2.3), which is code point order;
    /// plain UTF-16 ordinal order would put supplementary characters before U+E000..U+FFFF.</summary>
    public static int CompareFolded(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y)
                continue;
            if (char.IsSurrogate(x) != char.IsSurrogate(y))
                return char.IsSurrogate(x) ? 1 : -1;
            return x < y ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length);
    }
}

using System.Text;

namespace Tern.Store.Search;

/// <summary>The i;unicode-casemap collation (RFC 5051) that IMAP SEARCH (RFC 9051 6.4.4) and SORT/THREAD (RFC 5256)
/// compare with: each character mapped to its simple titlecase, then the whole string decomposed (NFKD); two strings
/// are equal when their foldings are equal, ordered by the UTF-8 octets of the foldings.</summary>
/// <remarks>.NET exposes simple uppercase, not simple titlecase, per character. They differ only for the four Latin
/// digraph triples (U+01C4..U+01CC, U+01F1..U+01F3), where uppercase maps the whole triple to one member just as
/// titlecase does, so equality is the same. As RFC 5051 says, ß (which has no simple titlecase) does not fold to ẞ.</remarks>
public static class UnicodeCasemap
{
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
        var sb = new StringBuilder(value.Length);
        foreach (var rune in value.EnumerateRunes()) // ill-formed UTF-16 comes out as U+FFFD
            sb.Append(Rune.ToUpperInvariant(rune).ToString());
        var upper = sb.ToString();
        return upper.IsNormalized(NormalizationForm.FormKD) ? upper : upper.Normalize(NormalizationForm.FormKD);
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

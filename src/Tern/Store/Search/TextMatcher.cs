namespace Tern.Store.Search;

/// <summary>The meaning of the text SEARCH keys (RFC 9051 6.4.4) over a message's <see cref="MessageText"/>: substring
/// matching of the folded key in the folded text. The index only narrows the candidates; this decides.</summary>
public static class TextMatcher
{
    /// <param name="needle">The search string, already folded with <see cref="UnicodeCasemap.Fold"/>.</param>
    /// <param name="headerPrefix">For HEADER: the folded field name followed by ": ".</param>
    public static bool Matches(MessageText text, TextSearchField field, string needle, string? headerPrefix = null) => field switch
    {
        TextSearchField.Subject => FieldContains(text.Subject, needle),
        TextSearchField.From => FieldContains(text.From, needle),
        TextSearchField.To => FieldContains(text.To, needle),
        TextSearchField.Cc => FieldContains(text.Cc, needle),
        TextSearchField.Bcc => FieldContains(text.Bcc, needle),
        TextSearchField.Header => HeaderContains(text.Headers, headerPrefix!, needle),
        TextSearchField.Body => text.Body.Contains(needle, StringComparison.Ordinal),
        TextSearchField.Text => text.Headers.Contains(needle, StringComparison.Ordinal) || text.Body.Contains(needle, StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>The folded "Name: " prefix of a header line, as <see cref="MessageText.Headers"/> has it.</summary>
    public static string HeaderPrefix(string fieldName) => UnicodeCasemap.Fold(fieldName.Trim()) + ": ";

    // One line per occurrence of the field, so an empty column means the field is absent. An unfolded header value has no
    // line break, so a needle with one matches nothing; without one, a match cannot span two lines.
    static bool FieldContains(string lines, string needle) =>
        lines.Length > 0 && !needle.Contains('\n') && lines.Contains(needle, StringComparison.Ordinal);

    // RFC 9051 6.4.4 HEADER: an empty string matches every message that has the field.
    static bool HeaderContains(string headers, string prefix, string needle)
    {
        if (needle.Contains('\n'))
            return false;
        var rest = headers.AsSpan();
        while (rest.Length > 0)
        {
            int end = rest.IndexOf('\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (line.StartsWith(prefix, StringComparison.Ordinal) && line[prefix.Length..].Contains(needle, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}

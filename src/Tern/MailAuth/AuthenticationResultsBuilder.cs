using System.Text;

namespace Tern.MailAuth;

/// <summary>One method's result for the Authentication-Results header (RFC 8601 2.2: method=result (comment) ptype.property=value).</summary>
public sealed record AuthResult(string Method, string Result, string? Comment, IReadOnlyList<(string Property, string Value)> Properties);

/// <summary>Formats the value of one Authentication-Results header (RFC 8601 2.2) with our host as authserv-id.</summary>
public static class AuthenticationResultsBuilder
{
    public const string HeaderName = "Authentication-Results";

    /// <summary>The whole header field, folded one result per line, ending in CRLF.</summary>
    public static string Format(string authservId, IEnumerable<AuthResult> results)
    {
        var text = new StringBuilder(HeaderName).Append(": ").Append(authservId);
        bool any = false;
        foreach (var result in results)
        {
            any = true;
            text.Append(";\r\n\t").Append(result.Method).Append('=').Append(result.Result);
            if (!string.IsNullOrEmpty(result.Comment))
                text.Append(" (").Append(CommentText(result.Comment)).Append(')');
            foreach (var (property, value) in result.Properties)
                text.Append(' ').Append(property).Append('=').Append(PropertyValue(value));
        }
        if (!any)
            text.Append("; none"); // RFC 8601 2.2: no-result
        return text.Append("\r\n").ToString();
    }

    /// <summary>ctext without the characters that would end or nest the comment, and printable ASCII only.</summary>
    static string CommentText(string comment)
    {
        var text = new StringBuilder(Math.Min(comment.Length, 200));
        foreach (char c in comment)
        {
            if (text.Length >= 200)
                break;
            text.Append(c is >= ' ' and <= '~' and not '(' and not ')' and not '\\' ? c : ' ');
        }
        return text.ToString().Trim();
    }

    /// <summary>RFC 8601 2.2 pvalue: an address or domain as is when it is made of atext and dots, else a quoted-string.</summary>
    static string PropertyValue(string value)
    {
        bool plain = value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.@".Contains(c, StringComparison.Ordinal));
        if (plain)
            return value;
        var quoted = new StringBuilder("\"");
        foreach (char c in value)
        {
            if (c is < ' ' or > '~')
                continue;
            if (c is '"' or '\\')
                quoted.Append('\\');
            quoted.Append(c);
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>True when a raw header field is an Authentication-Results whose authserv-id is <paramref name="authservId"/>
    /// (RFC 8601 5: such a field arriving from outside is a forgery and is removed).</summary>
    public static bool ClaimsAuthservId(string field, string authservId)
    {
        int colon = field.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !field[..colon].Trim().Equals(HeaderName, StringComparison.OrdinalIgnoreCase))
            return false;
        var value = StripComments(field[(colon + 1)..]);
        int semicolon = value.IndexOf(';', StringComparison.Ordinal);
        var id = (semicolon < 0 ? value : value[..semicolon]).Trim();
        // authserv-id [ CFWS authres-version ]: the id is the first word.
        int space = id.IndexOfAny([' ', '\t', '\r', '\n']);
        if (space > 0)
            id = id[..space];
        return id.Trim('"').Equals(authservId, StringComparison.OrdinalIgnoreCase);
    }

    static string StripComments(string value)
    {
        var text = new StringBuilder(value.Length);
        int depth = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\\' && depth > 0) { i++; continue; }
            if (c == '(') { depth++; continue; }
            if (c == ')' && depth > 0) { depth--; continue; }
            if (depth == 0)
                text.Append(c);
        }
        return text.ToString();
    }
}

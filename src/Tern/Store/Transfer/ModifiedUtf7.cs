using System.Text;

namespace Tern.Store.Transfer;

/// <summary>RFC 3501 5.1.3 modified UTF-7, which Dovecot and Courier use for Maildir++ folder names on disk.</summary>
public static class ModifiedUtf7
{
    public static string Encode(string text)
    {
        var result = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '&') { result.Append("&-"); i++; continue; }
            if (c >= 0x20 && c <= 0x7e) { result.Append(c); i++; continue; }
            int start = i;
            while (i < text.Length && (text[i] < 0x20 || text[i] > 0x7e)) i++;
            var bytes = Encoding.BigEndianUnicode.GetBytes(text[start..i]);
            result.Append('&').Append(Convert.ToBase64String(bytes).TrimEnd('=').Replace('/', ',')).Append('-');
        }
        return result.ToString();
    }

    /// <summary>Decodes; text that is not valid modified UTF-7 is returned unchanged.</summary>
    public static string Decode(string text)
    {
        if (!text.Contains('&', StringComparison.Ordinal)) return text;
        var result = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c != '&') { result.Append(c); i++; continue; }
            int end = text.IndexOf('-', i + 1);
            if (end < 0) return text;
            if (end == i + 1) { result.Append('&'); i = end + 1; continue; }
            var b64 = text[(i + 1)..end].Replace(',', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            try
            {
                result.Append(Encoding.BigEndianUnicode.GetString(Convert.FromBase64String(b64)));
            }
            catch (FormatException)
            {
                return text;
            }
            i = end + 1;
        }
        return result.ToString();
    }
}

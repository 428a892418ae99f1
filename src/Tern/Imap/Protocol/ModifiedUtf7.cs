using System.Text;

namespace Tern.Imap.Protocol;

/// <summary>RFC 3501 5.1.3 modified UTF-7 for mailbox names: printable US-ASCII stands for itself ("&amp;" as "&amp;-"),
/// anything else is "&amp;" + modified BASE64 of UTF-16BE + "-". Decoding is strict (RFC 3501 5.1.3 forbids
/// encoding printable ASCII, zero-length shifts next to each other and non-zero padding bits).</summary>
public static class ModifiedUtf7
{
    const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

    public static string Encode(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        int i = 0;
        while (i < name.Length)
        {
            char c = name[i];
            if (c >= 0x20 && c <= 0x7e)
            {
                sb.Append(c == '&' ? "&-" : c.ToString());
                i++;
                continue;
            }
            int start = i;
            while (i < name.Length && (name[i] < 0x20 || name[i] > 0x7e))
                i++;
            var utf16 = Encoding.BigEndianUnicode.GetBytes(name[start..i]);
            sb.Append('&');
            int bits = 0, buffer = 0;
            foreach (var b in utf16)
            {
                buffer = (buffer << 8) | b;
                bits += 8;
                while (bits >= 6)
                {
                    bits -= 6;
                    sb.Append(Alphabet[(buffer >> bits) & 0x3f]);
                }
            }
            if (bits > 0)
                sb.Append(Alphabet[(buffer << (6 - bits)) & 0x3f]);
            sb.Append('-');
        }
        return sb.ToString();
    }

    /// <summary>Decodes a wire name; false for an invalid one (answered with NO or BAD, never guessed at).</summary>
    public static bool TryDecode(string wire, out string name)
    {
        name = "";
        var sb = new StringBuilder(wire.Length);
        int i = 0;
        bool lastWasShift = false;
        while (i < wire.Length)
        {
            char c = wire[i];
            if (c < 0x20 || c > 0x7e)
                return false;
            if (c != '&')
            {
                sb.Append(c);
                i++;
                lastWasShift = false;
                continue;
            }
            int end = wire.IndexOf('-', i + 1);
            if (end < 0)
                return false;
            if (end == i + 1)
            {
                sb.Append('&');
                i = end + 1;
                lastWasShift = false;
                continue;
            }
            if (lastWasShift)
                return false; // two encoded runs in a row must be one run
            var bytes = new List<byte>();
            int bits = 0, buffer = 0;
            for (int k = i + 1; k < end; k++)
            {
                int v = Alphabet.IndexOf(wire[k], StringComparison.Ordinal);
                if (v < 0)
                    return false;
                buffer = (buffer << 6) | v;
                bits += 6;
                if (bits >= 8)
                {
                    bits -= 8;
                    bytes.Add((byte)(buffer >> bits));
                }
            }
            if (bits >= 6 || (buffer & ((1 << bits) - 1)) != 0 || bytes.Count % 2 != 0 || bytes.Count == 0)
                return false;
            string decoded;
            try
            {
                decoded = new UTF8Encoding(false, true).GetString(Encoding.UTF8.GetBytes(
                    Encoding.BigEndianUnicode.GetString([.. bytes])));
                if (!IsWellFormedUtf16(bytes))
                    return false;
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
            foreach (char d in decoded)
            {
                if (d >= 0x20 && d <= 0x7e)
                    return false; // printable ASCII must not be encoded
            }
            sb.Append(decoded);
            i = end + 1;
            lastWasShift = true;
        }
        name = sb.ToString();
        return true;
    }

    static bool IsWellFormedUtf16(List<byte> bytes)
    {
        for (int k = 0; k < bytes.Count; k += 2)
        {
            int u = (bytes[k] << 8) | bytes[k + 1];
            if (u is >= 0xD800 and <= 0xDBFF)
            {
                if (k + 3 >= bytes.Count) return false;
                int low = (bytes[k + 2] << 8) | bytes[k + 3];
                if (low is < 0xDC00 or > 0xDFFF) return false;
                k += 2;
            }
            else if (u is >= 0xDC00 and <= 0xDFFF)
            {
                return false;
            }
        }
        return true;
    }
}

using System.Text;

namespace Tern.Smtp.Protocol;

/// <summary>RFC 3461 4: xtext = *( xchar / hexchar ), hexchar = "+" 2HEXDIG; xchar = "!".."~" except "+" and "=".</summary>
public static class Xtext
{
    public static bool TryDecode(string value, out string decoded)
    {
        var sb = new StringBuilder(value.Length);
        decoded = "";
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '+')
            {
                if (i + 2 >= value.Length || !IsHex(value[i + 1]) || !IsHex(value[i + 2]))
                    return false;
                sb.Append((char)Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c is < '!' or > '~' or '=')
            {
                return false;
            }
            else
            {
                sb.Append(c);
            }
        }
        decoded = sb.ToString();
        return true;
    }

    static bool IsHex(char c) => char.IsAsciiDigit(c) || char.IsAsciiHexDigitUpper(c);

    public static string Encode(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= (byte)'!' and <= (byte)'~' && b != '+' && b != '=')
                sb.Append((char)b);
            else
                sb.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tern.MailAuth;

/// <summary>RFC 7208 7: macro expansion of domain-specs and explanation strings.</summary>
/// <remarks><code>
/// macro-string = *( macro-expand / macro-literal )
/// macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
/// macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"
/// transformers = *DIGIT [ "r" ] ; delimiter = "." / "-" / "+" / "," / "/" / "_" / "="
/// </code></remarks>
public static class SpfMacro
{
    const string Delimiters = ".-+,/_=";

    public static bool IsValidMacroString(string text) => TryExpand(text, null, null, explanation: true, out _);

    /// <summary>Expands <paramref name="text"/>; false when it is not a valid macro-string (a permerror).</summary>
    /// <param name="validatedDomain">The %{p} value, computed by the caller only when the text uses it.</param>
    public static bool TryExpand(string text, SpfContext? context, string? validatedDomain, bool explanation, out string result)
    {
        var output = new StringBuilder();
        result = "";
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '%')
            {
                if (c is < '!' or > '~' && !(explanation && c == ' '))
                    return false;
                output.Append(c);
                continue;
            }
            if (++i >= text.Length)
                return false;
            switch (text[i])
            {
                case '%': output.Append('%'); continue;
                case '_': output.Append(' '); continue;
                case '-': output.Append("%20"); continue;
                case '{': break;
                default: return false;
            }
            int close = text.IndexOf('}', i);
            if (close < 0 || close == i + 1)
                return false;
            var body = text[(i + 1)..close];
            i = close;
            char letter = char.ToLowerInvariant(body[0]);
            bool escape = char.IsUpper(body[0]);
            if ("slodiphvcrt".IndexOf(letter, StringComparison.Ordinal) < 0 || (!explanation && letter is 'c' or 'r' or 't'))
                return false;
            int p = 1;
            while (p < body.Length && char.IsAsciiDigit(body[p]))
                p++;
            int keep = 0;
            if (p > 1 && (!int.TryParse(body.AsSpan(1, p - 1), NumberStyles.None, CultureInfo.InvariantCulture, out keep) || keep == 0))
                return false; // RFC 7208 7.1: a zero transformer is a syntax error
            bool reverse = p < body.Length && (body[p] is 'r' or 'R');
            if (reverse)
                p++;
            var delimiters = body[p..];
            if (delimiters.Any(d => Delimiters.IndexOf(d, StringComparison.Ordinal) < 0))
                return false;
            if (context is null)
                continue; // syntax check only
            var value = Value(letter, context, validatedDomain);
            var parts = value.Split(delimiters.Length == 0 ? ['.'] : delimiters.ToCharArray());
            if (reverse)
                Array.Reverse(parts);
            if (keep > 0 && keep < parts.Length)
                parts = parts[^keep..];
            var expanded = string.Join('.', parts);
            output.Append(escape ? Uri.EscapeDataString(expanded) : expanded);
        }
        result = output.ToString();
        return true;
    }

    static string Value(char letter, SpfContext context, string? validatedDomain) => letter switch
    {
        's' => context.Sender,
        'l' => context.LocalPart,
        'o' => context.SenderDomain,
        'd' => context.Domain,
        'i' => DottedAddress(context.Address),
        'p' => validatedDomain ?? "unknown",
        'v' => context.Address.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
        'h' => context.Helo,
        'c' => context.Address.ToString(),
        'r' => context.Receiver,
        't' => DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        _ => "",
    };

    /// <summary>RFC 7208 7.3: IPv4 dotted; IPv6 as 32 dot-separated nibbles.</summary>
    static string DottedAddress(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        var hex = Convert.ToHexStringLower(address.GetAddressBytes());
        return string.Join('.', hex.ToCharArray());
    }

    /// <summary>RFC 7208 7.3: the expanded domain is cut to 253 octets by dropping labels from the left.</summary>
    public static string Truncate(string domain)
    {
        domain = domain.TrimEnd('.');
        while (domain.Length > 253)
        {
            int dot = domain.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
                break;
            domain = domain[(dot + 1)..];
        }
        return domain;
    }
}

/// <summary>The inputs of check_host() (RFC 7208 4.1) and the macro values.</summary>
public sealed record SpfContext(IPAddress Address, string Sender, string Helo, string Receiver, string Domain)
{
    public string LocalPart => Sender.LastIndexOf('@') is var at and > 0 ? Sender[..at] : "postmaster";
    public string SenderDomain => Sender.LastIndexOf('@') is var at and >= 0 ? Sender[(at + 1)..] : Sender;
}

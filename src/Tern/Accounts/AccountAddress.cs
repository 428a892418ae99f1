using System.Text;

namespace Tern.Accounts;

/// <summary>Syntax and normal form of the addresses and domains kept in the account store: trimmed, the domain
/// lower-cased, the local part kept as written (lookups ignore its case).</summary>
/// <remarks>
/// Only the dot-atom form is accepted (RFC 5322 3.2.3, with UTF-8 allowed by RFC 6531 3.3); quoted local parts and
/// address literals are refused for accounts, as most servers do.
/// <code>
/// dot-atom-text = 1*atext *("." 1*atext)
/// atext         = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "/" / "=" / "?" /
///                 "^" / "_" / "`" / "{" / "|" / "}" / "~" / UTF8-non-ascii
/// </code>
/// </remarks>
public static class AccountAddress
{
    /// <summary>RFC 5321 4.5.3.1.1: a local part of at most 64 octets.</summary>
    public const int MaxLocalPartOctets = 64;

    /// <summary>RFC 5321 4.5.3.1.2: a domain of at most 255 octets.</summary>
    public const int MaxDomainOctets = 255;

    /// <summary>RFC 5321 4.5.3.1.3: a path of at most 256 octets including the angle brackets.</summary>
    public const int MaxAddressOctets = 254;

    /// <summary>RFC 1035 2.3.4: a label of at most 63 octets.</summary>
    public const int MaxLabelOctets = 63;

    /// <summary>Normalises <c>local@domain</c>; throws <see cref="AccountException"/> naming the problem.</summary>
    public static string Normalize(string address)
    {
        if (!TryNormalize(address, out var normalized, out var error))
            throw new AccountException(error);
        return normalized;
    }

    public static bool TryNormalize(string? address, out string normalized, out string error)
    {
        normalized = "";
        var text = (address ?? "").Trim();
        if (text.Length == 0)
        {
            error = "the address is empty";
            return false;
        }
        int at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            error = $"'{Printable(text)}' is not an address of the form local@domain";
            return false;
        }
        var local = text[..at];
        if (!IsValidLocalPart(local, out error))
        {
            error = $"'{Printable(text)}': {error}";
            return false;
        }
        if (!TryNormalizeDomain(text[(at + 1)..], out var domain, out error))
        {
            error = $"'{Printable(text)}': {error}";
            return false;
        }
        normalized = local + "@" + domain;
        if (Encoding.UTF8.GetByteCount(normalized) > MaxAddressOctets)
        {
            error = $"'{Printable(text)}' is longer than {MaxAddressOctets} octets (RFC 5321 4.5.3.1.3)";
            normalized = "";
            return false;
        }
        return true;
    }

    /// <summary>Normalises a domain name; throws <see cref="AccountException"/> naming the problem.</summary>
    public static string NormalizeDomain(string domain)
    {
        if (!TryNormalizeDomain(domain, out var normalized, out var error))
            throw new AccountException(error);
        return normalized;
    }

    public static bool TryNormalizeDomain(string? domain, out string normalized, out string error)
    {
        normalized = "";
        var text = (domain ?? "").Trim();
        // An absolute name's final dot means the same domain.
        if (text.EndsWith('.'))
            text = text[..^1];
        if (text.Length == 0)
        {
            error = "the domain is empty";
            return false;
        }
        if (Encoding.UTF8.GetByteCount(text) > MaxDomainOctets)
        {
            error = $"the domain is longer than {MaxDomainOctets} octets (RFC 5321 4.5.3.1.2)";
            return false;
        }
        foreach (var label in text.Split('.'))
        {
            if (label.Length == 0)
            {
                error = $"'{Printable(text)}' has an empty label";
                return false;
            }
            if (Encoding.UTF8.GetByteCount(label) > MaxLabelOctets)
            {
                error = $"the label '{Printable(label)}' is longer than {MaxLabelOctets} octets (RFC 1035 2.3.4)";
                return false;
            }
            if (label[0] == '-' || label[^1] == '-')
            {
                error = $"the label '{Printable(label)}' starts or ends with a hyphen";
                return false;
            }
            foreach (var c in label)
            {
                // Letters, digits and hyphens (RFC 1035 2.3.1); non-ASCII for internationalised names (RFC 6531).
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || (c > 127 && !char.IsControl(c) && !char.IsWhiteSpace(c))))
                {
                    error = $"the domain '{Printable(text)}' contains the character '{Printable(c.ToString())}'";
                    return false;
                }
            }
        }
        normalized = text.ToLowerInvariant();
        error = "";
        return true;
    }

    /// <summary>Splits a normalised address into local part and domain.</summary>
    public static (string LocalPart, string Domain) Split(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? (address, "") : (address[..at], address[(at + 1)..]);
    }

    public static string DomainOf(string address) => Split(address).Domain;

    static bool IsValidLocalPart(string local, out string error)
    {
        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartOctets)
        {
            error = $"the local part is longer than {MaxLocalPartOctets} octets (RFC 5321 4.5.3.1.1)";
            return false;
        }
        if (local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
        {
            error = "the local part has a leading, trailing or double dot";
            return false;
        }
        foreach (var c in local)
        {
            if (c == '.' || IsAtext(c))
                continue;
            error = char.IsWhiteSpace(c) || char.IsControl(c)
                ? "the local part contains a space or control character"
                : $"the local part contains the character '{c}'";
            return false;
        }
        error = "";
        return true;
    }

    static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c)
        || "!#$%&'*+-/=?^_`{|}~".Contains(c)
        || (c > 127 && !char.IsControl(c) && !char.IsWhiteSpace(c));

    /// <summary>Input echoed in an error message, with control characters made visible and the length capped.</summary>
    internal static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 80));
        foreach (var c in text.Length > 80 ? text[..80] : text)
            builder.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        if (text.Length > 80)
            builder.Append('…');
        return builder.ToString();
    }
}

using System.Text;

namespace Tern.Smtp.Protocol;

/// <summary>A mailbox from MAIL FROM or RCPT TO (RFC 5321 4.1.2), source route already stripped.</summary>
/// <param name="LocalPart">As sent; a quoted local part whose content is a plain dot-string is unquoted.</param>
/// <param name="Domain">A domain or an address literal ("[192.0.2.1]"); empty only for RCPT TO:&lt;Postmaster&gt;.</param>
public sealed record SmtpAddress(string LocalPart, string Domain)
{
    public string Value => Domain.Length == 0 ? LocalPart : $"{LocalPart}@{Domain}";

    /// <summary>True when the address needs SMTPUTF8 (RFC 6531 3.3).</summary>
    public bool IsAscii => Ascii.IsValid(Value);

    /// <summary>'%' (percent hack), '!' (bang path) or a quoted '@' in the local part: old routing syntaxes that an open
    /// relay check must never let through (RFC 5321 3.6.1, 4.1.2 Postmaster note; RFC 1123 5.2.16).</summary>
    public bool HasRoutingCharacters => LocalPart.AsSpan().IndexOfAny('%', '!', '@') >= 0;

    public override string ToString() => Value;
}

/// <summary>One ESMTP parameter (RFC 5321 4.1.2: esmtp-keyword ["=" esmtp-value]); the keyword upper-cased.</summary>
public sealed record SmtpParameter(string Keyword, string? Value);

/// <summary>Parses the arguments of MAIL and RCPT. Pure.</summary>
/// <remarks>
/// <code>
/// Mail-parameters = esmtp-param *(SP esmtp-param)
/// Path            = "&lt;" [ A-d-l ":" ] Mailbox "&gt;"      ; A-d-l (source route) is accepted and ignored (RFC 5321 C)
/// Mailbox         = Local-part "@" ( Domain / address-literal )
/// Local-part      = Dot-string / Quoted-string                ; atext extended with UTF-8 by RFC 6531 3.3
/// </code>
/// Leniency: spaces between "FROM:" and "&lt;" are tolerated (common clients send them; RFC 5321 forbids it).
/// </remarks>
public static class SmtpPathParser
{
    public const int MaxLocalPartOctets = 64;  // RFC 5321 4.5.3.1.1
    public const int MaxDomainOctets = 255;    // RFC 5321 4.5.3.1.2
    public const int MaxPathOctets = 256;      // RFC 5321 4.5.3.1.3

    /// <summary>"FROM:&lt;path&gt; params". <paramref name="sender"/> is null for the null reverse-path &lt;&gt;.</summary>
    public static bool TryParseMailFrom(string argument, out SmtpAddress? sender, out IReadOnlyList<SmtpParameter> parameters, out string error)
    {
        sender = null;
        parameters = [];
        if (!TryStripKeyword(argument, "FROM:", out var rest))
        {
            error = "Syntax: MAIL FROM:<address>";
            return false;
        }
        if (rest.StartsWith("<>", StringComparison.Ordinal))
            return TryParseParameters(rest[2..], out parameters, out error);
        if (!TryParsePath(rest, out var address, out var after, out error))
            return false;
        sender = address;
        return TryParseParameters(after, out parameters, out error);
    }

    /// <summary>"TO:&lt;path&gt; params"; "TO:&lt;Postmaster&gt;" gives a domain-less address (RFC 5321 4.1.1.3).</summary>
    public static bool TryParseRcptTo(string argument, out SmtpAddress recipient, out IReadOnlyList<SmtpParameter> parameters, out string error)
    {
        recipient = new SmtpAddress("", "");
        parameters = [];
        if (!TryStripKeyword(argument, "TO:", out var rest))
        {
            error = "Syntax: RCPT TO:<address>";
            return false;
        }
        if (rest.StartsWith("<postmaster>", StringComparison.OrdinalIgnoreCase))
        {
            recipient = new SmtpAddress("postmaster", "");
            return TryParseParameters(rest["<postmaster>".Length..], out parameters, out error);
        }
        if (!TryParsePath(rest, out var address, out var after, out error))
            return false;
        recipient = address;
        return TryParseParameters(after, out parameters, out error);
    }

    /// <summary>Parses one bare mailbox ("user@example.com"), as found in an AUTH identity or a header.</summary>
    public static bool TryParseMailbox(string text, out SmtpAddress address, out string error)
    {
        int end = 0;
        if (!TryParseMailbox(text, ref end, out address, out error))
            return false;
        if (end == text.Length)
            return true;
        address = new SmtpAddress("", "");
        error = "Invalid address";
        return false;
    }

    static bool TryStripKeyword(string argument, string keyword, out string rest)
    {
        rest = "";
        if (!argument.StartsWith(keyword, StringComparison.OrdinalIgnoreCase))
            return false;
        rest = argument[keyword.Length..].TrimStart(' ');
        return true;
    }

    static bool TryParsePath(string text, out SmtpAddress address, out string after, out string error)
    {
        address = new SmtpAddress("", "");
        after = "";
        if (text.Length == 0 || text[0] != '<')
        {
            error = "Address must be in angle brackets";
            return false;
        }
        int i = 1;
        if (i < text.Length && text[i] == '@')
        {
            // RFC 5321 4.1.2 / C: a source route "@a,@b:" is accepted and ignored.
            int colon = text.IndexOf(':', i);
            if (colon < 0)
            {
                error = "Bad source route";
                return false;
            }
            i = colon + 1;
        }
        if (!TryParseMailbox(text, ref i, out address, out error))
            return false;
        if (i >= text.Length || text[i] != '>')
        {
            error = "Address must end with '>'";
            return false;
        }
        if (Encoding.UTF8.GetByteCount(address.Value) > MaxPathOctets)
        {
            error = "Address too long";
            return false;
        }
        after = text[(i + 1)..];
        return true;
    }

    static bool TryParseMailbox(string text, ref int i, out SmtpAddress address, out string error)
    {
        address = new SmtpAddress("", "");
        string local;
        if (i < text.Length && text[i] == '"')
        {
            if (!TryParseQuoted(text, ref i, out local, out error))
                return false;
        }
        else
        {
            int start = i;
            while (i < text.Length && (IsAtext(text[i]) || text[i] == '.'))
                i++;
            local = text[start..i];
            if (local.Length == 0 || local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal))
            {
                error = "Bad local part";
                return false;
            }
        }
        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartOctets)
        {
            error = "Local part too long";
            return false;
        }
        if (i >= text.Length || text[i] != '@')
        {
            error = "Address must have a domain";
            return false;
        }
        i++;
        int domainStart = i;
        if (i < text.Length && text[i] == '[')
        {
            int close = text.IndexOf(']', i);
            if (close < 0 || !IsAddressLiteral(text[(i + 1)..close]))
            {
                error = "Bad address literal";
                return false;
            }
            i = close + 1;
        }
        else
        {
            while (i < text.Length && IsDomainChar(text[i]))
                i++;
            if (!IsDomain(text[domainStart..i]))
            {
                error = "Bad domain";
                return false;
            }
        }
        var domain = text[domainStart..i];
        if (Encoding.UTF8.GetByteCount(domain) > MaxDomainOctets)
        {
            error = "Domain too long";
            return false;
        }
        address = new SmtpAddress(local, domain);
        error = "";
        return true;
    }

    /// <summary>Quoted-string = DQUOTE *QcontentSMTP DQUOTE (RFC 5321 4.1.2). The quotes are dropped when the content
    /// is a plain dot-string, so "bob"@x and bob@x are the same mailbox.</summary>
    static bool TryParseQuoted(string text, ref int i, out string local, out string error)
    {
        var sb = new StringBuilder();
        i++;
        while (i < text.Length && text[i] != '"')
        {
            char c = text[i];
            if (c == '\\')
            {
                if (i + 1 >= text.Length || text[i + 1] is < ' ' or > '~')
                {
                    local = "";
                    error = "Bad quoted local part";
                    return false;
                }
                sb.Append(text[i + 1]);
                i += 2;
                continue;
            }
            if (c < ' ' || c == 127)
            {
                local = "";
                error = "Bad quoted local part";
                return false;
            }
            sb.Append(c);
            i++;
        }
        if (i >= text.Length)
        {
            local = "";
            error = "Unterminated quoted local part";
            return false;
        }
        i++;
        var content = sb.ToString();
        bool plain = content.Length > 0 && content.All(c => IsAtext(c) || c == '.')
            && !content.StartsWith('.') && !content.EndsWith('.') && !content.Contains("..", StringComparison.Ordinal);
        local = plain ? content : "\"" + content.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        error = "";
        return true;
    }

    static bool TryParseParameters(string text, out IReadOnlyList<SmtpParameter> parameters, out string error)
    {
        var list = new List<SmtpParameter>();
        parameters = list;
        error = "";
        if (text.Length == 0)
            return true;
        if (text[0] != ' ')
        {
            error = "Syntax error after address";
            return false;
        }
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            var keyword = eq < 0 ? token : token[..eq];
            if (keyword.Length == 0 || !keyword.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || !char.IsAsciiLetterOrDigit(keyword[0]))
            {
                error = $"Bad parameter '{token}'";
                return false;
            }
            var value = eq < 0 ? null : token[(eq + 1)..];
            if (value is not null && (value.Length == 0 || value.Any(c => c is < '!' or '=' || c == 127)))
            {
                error = $"Bad parameter value '{token}'";
                return false;
            }
            list.Add(new SmtpParameter(keyword.ToUpperInvariant(), value));
        }
        return true;
    }

    /// <summary>RFC 5322 atext, plus UTF-8 (RFC 6531 3.3: atext =/ UTF8-non-ascii).</summary>
    static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal) || c > 127;

    static bool IsDomainChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' || c > 127;

    /// <summary>Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (or a U-label, RFC 6531).</summary>
    public static bool IsDomain(string domain)
    {
        if (domain.Length == 0 || domain.Length > MaxDomainOctets)
            return false;
        foreach (var label in domain.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63 || label[0] == '-' || label[^1] == '-')
                return false;
        }
        return true;
    }

    static bool IsAddressLiteral(string inner)
    {
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
            return System.Net.IPAddress.TryParse(inner[5..], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var parts = inner.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }
}

using System.Globalization;
using System.Net;

namespace Tern.MailAuth;

/// <summary>RFC 7208 4.6.2 / 5: a qualifier's result when its mechanism matches.</summary>
public enum SpfResult { None, Neutral, Pass, Fail, SoftFail, TempError, PermError }

/// <summary>One directive: qualifier, mechanism name, its domain-spec (unexpanded) or address, and CIDR lengths.</summary>
public sealed record SpfDirective(SpfResult Qualifier, string Mechanism, string? DomainSpec, IPAddress? Network, int Cidr4, int Cidr6);

/// <summary>A parsed "v=spf1" record (RFC 7208 4.6.1, 12 ABNF).</summary>
/// <remarks><code>
/// record = version terms *SP ; version = "v=spf1"
/// terms = *( 1*SP ( directive / modifier ) )
/// directive = [ qualifier ] mechanism ; qualifier = "+" / "-" / "?" / "~"
/// modifier = redirect / explanation / unknown-modifier (name "=" macro-string)
/// </code></remarks>
public sealed record SpfRecord(IReadOnlyList<SpfDirective> Directives, string? Redirect, string? Explanation)
{
    /// <summary>True when <paramref name="txt"/> is an SPF record at all (RFC 7208 4.5: "v=spf1" then SP or end).</summary>
    public static bool IsSpf(string txt) =>
        txt.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (txt.Length == 6 || txt[6] == ' ');

    /// <summary>Parses the whole record first: any syntax error makes the result permerror (RFC 7208 4.6).</summary>
    public static bool TryParse(string txt, out SpfRecord record, out string error)
    {
        record = new SpfRecord([], null, null);
        var directives = new List<SpfDirective>();
        string? redirect = null, explanation = null;
        foreach (var term in txt[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = term.IndexOf('=', StringComparison.Ordinal);
            int colon = term.IndexOf(':', StringComparison.Ordinal);
            int slash = term.IndexOf('/', StringComparison.Ordinal);
            if (eq > 0 && (colon < 0 || eq < colon) && (slash < 0 || eq < slash))
            {
                // A modifier: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
                var name = term[..eq];
                if (!char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                    return Fail($"bad modifier '{term}'", out error);
                var value = term[(eq + 1)..];
                if (!SpfMacro.IsValidMacroString(value))
                    return Fail($"bad macro in '{term}'", out error);
                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase))
                {
                    if (redirect is not null)
                        return Fail("two redirect modifiers", out error); // RFC 7208 6
                    redirect = value;
                }
                else if (name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    if (explanation is not null)
                        return Fail("two exp modifiers", out error);
                    explanation = value;
                }
                continue; // RFC 7208 6: unknown modifiers are ignored
            }
            if (!TryParseDirective(term, out var directive))
                return Fail($"bad term '{term}'", out error);
            directives.Add(directive);
        }
        record = new SpfRecord(directives, redirect, explanation);
        error = "";
        return true;
    }

    static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    static bool TryParseDirective(string term, out SpfDirective directive)
    {
        directive = null!;
        var qualifier = term[0] switch { '+' => SpfResult.Pass, '-' => SpfResult.Fail, '~' => SpfResult.SoftFail, '?' => SpfResult.Neutral, _ => SpfResult.None };
        if (qualifier != SpfResult.None)
            term = term[1..];
        else
            qualifier = SpfResult.Pass;
        int end = term.IndexOfAny([':', '/']);
        var name = (end < 0 ? term : term[..end]).ToLowerInvariant();
        var rest = end < 0 ? "" : term[end..];
        switch (name)
        {
            case "all":
                if (rest.Length > 0)
                    return false;
                directive = new SpfDirective(qualifier, name, null, null, 32, 128);
                return true;
            case "include" or "exists":
                if (!rest.StartsWith(':') || rest.Length < 2 || !SpfMacro.IsValidMacroString(rest[1..]))
                    return false;
                directive = new SpfDirective(qualifier, name, rest[1..], null, 32, 128);
                return true;
            case "a" or "mx" or "ptr":
                {
                    string? domain = null;
                    if (rest.StartsWith(':'))
                    {
                        int cut = name == "ptr" ? -1 : rest.IndexOf('/', StringComparison.Ordinal);
                        domain = cut < 0 ? rest[1..] : rest[1..cut];
                        rest = cut < 0 ? "" : rest[cut..];
                        if (domain.Length == 0 || !SpfMacro.IsValidMacroString(domain))
                            return false;
                    }
                    int c4 = 32, c6 = 128;
                    if (name == "ptr" ? rest.Length > 0 : !TryParseDualCidr(rest, out c4, out c6))
                        return false;
                    directive = new SpfDirective(qualifier, name, domain, null, c4, c6);
                    return true;
                }
            case "ip4" or "ip6":
                {
                    if (!rest.StartsWith(':'))
                        return false;
                    var text = rest[1..];
                    int cidr = name == "ip4" ? 32 : 128;
                    int slashAt = text.IndexOf('/', StringComparison.Ordinal);
                    if (slashAt >= 0)
                    {
                        if (!TryParseCidr(text[(slashAt + 1)..], cidr, out cidr))
                            return false;
                        text = text[..slashAt];
                    }
                    if (!IPAddress.TryParse(text, out var network)
                        || network.AddressFamily != (name == "ip4" ? System.Net.Sockets.AddressFamily.InterNetwork : System.Net.Sockets.AddressFamily.InterNetworkV6)
                        || (name == "ip4" && text.Count(c => c == '.') != 3))
                        return false;
                    directive = new SpfDirective(qualifier, name, null, network, name == "ip4" ? cidr : 32, name == "ip6" ? cidr : 128);
                    return true;
                }
            default:
                return false; // RFC 7208 5: an unknown mechanism is a permerror
        }
    }

    /// <summary>dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], i.e. "/24", "//64", "/24//64".</summary>
    static bool TryParseDualCidr(string text, out int cidr4, out int cidr6)
    {
        cidr4 = 32;
        cidr6 = 128;
        if (text.Length == 0)
            return true;
        if (!text.StartsWith('/'))
            return false;
        int six = text.IndexOf("//", StringComparison.Ordinal);
        if (six >= 0)
        {
            if (!TryParseCidr(text[(six + 2)..], 128, out cidr6))
                return false;
            text = text[..six];
        }
        return text.Length == 0 || TryParseCidr(text[1..], 32, out cidr4);
    }

    static bool TryParseCidr(string text, int max, out int value) =>
        text.Length is > 0 and <= 3 && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0')
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max
        || Zero(out value);

    static bool Zero(out int value)
    {
        value = 0;
        return false;
    }
}

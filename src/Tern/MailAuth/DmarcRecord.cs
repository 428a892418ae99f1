using System.Globalization;

namespace Tern.MailAuth;

public enum DmarcPolicy { None, Quarantine, Reject }

/// <summary>A DMARC policy record (RFC 7489 6.3): the tags this server acts on.</summary>
/// <remarks><code>dmarc-record = dmarc-version dmarc-sep [dmarc-request] [dmarc-sep dmarc-srequest] ...
/// dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31</code></remarks>
public sealed record DmarcRecord(DmarcPolicy Policy, DmarcPolicy? SubdomainPolicy, bool StrictDkim, bool StrictSpf, int Percent)
{
    public static bool IsDmarc(string txt) =>
        txt.TrimStart().StartsWith("v", StringComparison.Ordinal)
        && txt.Split(';')[0].Replace(" ", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal) == "v=DMARC1";

    /// <summary>Null when the record is unusable (RFC 7489 6.6.3: no valid p= and no rua= means no DMARC at all).</summary>
    public static DmarcRecord? Parse(string txt)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in txt.Split(';'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                continue;
            tags.TryAdd(part[..eq].Trim(), part[(eq + 1)..].Trim());
        }
        DmarcPolicy? policy = tags.TryGetValue("p", out var p) ? ParsePolicy(p) : null;
        DmarcPolicy? subdomain = tags.TryGetValue("sp", out var sp) ? ParsePolicy(sp) : null;
        bool spInvalid = tags.ContainsKey("sp") && subdomain is null;
        if (policy is null || spInvalid)
        {
            // RFC 7489 6.6.3: with a valid rua= act as if p=none; otherwise no DMARC processing.
            if (!tags.TryGetValue("rua", out var rua) || !rua.Contains(':', StringComparison.Ordinal))
                return null;
            policy = DmarcPolicy.None;
            subdomain = null;
        }
        int percent = 100;
        if (tags.TryGetValue("pct", out var pct) && int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            percent = Math.Clamp(value, 0, 100);
        return new DmarcRecord(policy.Value, subdomain,
            tags.TryGetValue("adkim", out var adkim) && adkim.Equals("s", StringComparison.OrdinalIgnoreCase),
            tags.TryGetValue("aspf", out var aspf) && aspf.Equals("s", StringComparison.OrdinalIgnoreCase),
            percent);
    }

    static DmarcPolicy? ParsePolicy(string value) => value.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}

/// <summary>RFC 7489 3.2 organisational domain. The public suffix list is not downloaded: a built-in set of common
/// two-label suffixes stands in for it, so a domain under an unlisted multi-label suffix (e.g. a private registry)
/// gets the wrong organisational domain. Documented in docs/MAILAUTH.md.</summary>
public static class OrganizationalDomain
{
    static readonly HashSet<string> TwoLabelSuffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "sch.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au", "id.au",
        "co.nz", "org.nz", "net.nz", "ac.nz", "govt.nz",
        "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
        "co.kr", "or.kr", "co.in", "net.in", "org.in", "co.za", "org.za", "web.za",
        "com.br", "net.br", "org.br", "gov.br", "com.cn", "net.cn", "org.cn", "gov.cn", "edu.cn",
        "com.mx", "org.mx", "com.ar", "com.tr", "com.tw", "org.tw", "com.hk", "com.sg", "com.my",
        "co.il", "org.il", "ac.il", "co.id", "or.id", "com.ph", "com.pl", "net.pl", "org.pl",
        "com.ua", "co.th", "in.th", "com.vn", "com.ru", "com.es", "com.pt", "com.gr", "com.de", "co.at", "or.at",
        "github.io", "gitlab.io", "herokuapp.com", "blogspot.com", "azurewebsites.net", "cloudfront.net", "appspot.com",
    };

    public static string Of(string domain)
    {
        var labels = domain.TrimEnd('.').ToLowerInvariant().Split('.');
        if (labels.Length <= 2)
            return string.Join('.', labels);
        var lastTwo = labels[^2] + "." + labels[^1];
        int keep = TwoLabelSuffixes.Contains(lastTwo) ? 3 : 2;
        return string.Join('.', labels[^Math.Min(keep, labels.Length)..]);
    }
}

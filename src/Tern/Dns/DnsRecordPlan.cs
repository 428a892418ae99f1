using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tern.Configuration;
using Tern.Delivery.Remote;

namespace Tern.Dns;

/// <summary>What one published record is for.</summary>
public enum DnsRecordKind { Mx, HostAddress, Spf, Dkim, Dmarc, MtaSts, MtaStsPolicy, TlsRpt, Srv }

/// <summary>One record an administrator must publish, as Tern expects it.</summary>
/// <param name="Label">Short name for the report ("MX", "SPF", "DKIM s1", "SRV imaps").</param>
/// <param name="Name">Owner name, without the final dot.</param>
/// <param name="Type">"MX", "TXT", "SRV", "A".</param>
/// <param name="Value">The record data in zone-file form (TXT values unquoted; quoting happens when printed).</param>
/// <param name="Port">SRV: the port; 0 with target "." when the service is not offered (RFC 6186 4).</param>
/// <param name="Missing">Set when Tern cannot say what the value must be (no DKIM key yet): why, and what to do.</param>
public sealed record PlannedRecord(
    DnsRecordKind Kind, string Label, string Name, string Type, string Value, string? Comment = null, int Port = 0, string? Missing = null);

/// <summary>The records of one mail domain served by this Tern: MX (RFC 5321 5), SPF (RFC 7208), DKIM (RFC 6376, keys from
/// <c>data/dkim/DOMAIN/SELECTOR.dns.txt</c>, written by <c>tern dkim generate</c>), DMARC (RFC 7489), MTA-STS (RFC 8461),
/// TLS-RPT (RFC 8460), and the RFC 6186 SRV records for client configuration with the configured listener ports.</summary>
public static class DnsRecordPlan
{
    /// <summary>max_age of the suggested MTA-STS policy: one week (RFC 8461 3.2 recommends weeks).</summary>
    public const long PolicyMaxAge = 604_800;

    public static IReadOnlyList<PlannedRecord> For(TernOptions options, string domain)
    {
        domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        var host = options.HostName.Trim().TrimEnd('.').ToLowerInvariant();
        var records = new List<PlannedRecord>
        {
            new(DnsRecordKind.Mx, "MX", domain, "MX", $"10 {host}."),
            new(DnsRecordKind.HostAddress, "A/AAAA", host, "A", "<public IPv4 address of this server>",
                "the MX host needs an address (A, and AAAA for IPv6); its reverse DNS (PTR) should name it back"),
            // RFC 7208 5.4: "mx" authorises the hosts of the domain's MX records, which is this server.
            new(DnsRecordKind.Spf, "SPF", domain, "TXT", "v=spf1 mx -all"),
        };
        records.AddRange(DkimRecords(options, domain));
        records.Add(new(DnsRecordKind.Dmarc, "DMARC", "_dmarc." + domain, "TXT", $"v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}",
            "start with p=none to watch the reports, then quarantine or reject"));
        var policy = SuggestedPolicy(host);
        records.Add(new(DnsRecordKind.MtaSts, "MTA-STS", "_mta-sts." + domain, "TXT", $"v=STSv1; id={PolicyId(policy)}",
            "change the id whenever the policy file changes"));
        records.Add(new(DnsRecordKind.MtaStsPolicy, "MTA-STS policy", MtaStsFetcher.PolicyHost(domain), "HTTPS", policy.Format(),
            $"served as text/plain at https://{MtaStsFetcher.PolicyHost(domain)}/.well-known/mta-sts.txt with a certificate valid for {MtaStsFetcher.PolicyHost(domain)}"));
        records.Add(new(DnsRecordKind.TlsRpt, "TLS-RPT", "_smtp._tls." + domain, "TXT", $"v=TLSRPTv1; rua=mailto:postmaster@{domain}"));

        // RFC 6186 3.1/3.2 (and RFC 8314 5.1 for the implicit-TLS names): client configuration.
        records.Add(Srv("submission", domain, host, options.Smtp.Submission));
        records.Add(Srv("submissions", domain, host, options.Smtp.Submissions));
        records.Add(Srv("imap", domain, host, options.Imap.Plain));
        records.Add(Srv("imaps", domain, host, options.Imap.Tls));
        records.Add(Srv("pop3", domain, host, options.Pop3.Plain));
        records.Add(Srv("pop3s", domain, host, options.Pop3.Tls));
        return records;
    }

    /// <summary>The policy Tern suggests: enforce, this host as the only MX.</summary>
    public static MtaStsPolicy SuggestedPolicy(string host) => new(MtaStsMode.Enforce, [host], PolicyMaxAge);

    /// <summary>A stable id for a policy text (RFC 8461 3.1: 1-32 letters and digits), so it changes with the policy.</summary>
    public static string PolicyId(MtaStsPolicy policy) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(policy.Format())))[..16].ToLowerInvariant();

    /// <summary>Where <c>tern dkim generate</c> leaves the public key records of a domain.</summary>
    public static string DkimDirectory(TernOptions options, string domain) => Path.Combine(options.FullDataDirectory, "dkim", domain);

    static IEnumerable<PlannedRecord> DkimRecords(TernOptions options, string domain)
    {
        var directory = DkimDirectory(options, domain);
        var files = Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*.dns.txt").Order(StringComparer.Ordinal).ToList()
            : [];
        if (files.Count == 0)
        {
            yield return new PlannedRecord(DnsRecordKind.Dkim, "DKIM", "<selector>._domainkey." + domain, "TXT", "",
                Missing: $"no DKIM key for {domain} in {directory}; create one with: tern dkim generate {domain}");
            yield break;
        }
        foreach (var file in files)
        {
            var selector = Path.GetFileName(file)[..^".dns.txt".Length];
            var value = File.ReadLines(file).FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
            yield return new PlannedRecord(DnsRecordKind.Dkim, "DKIM " + selector, $"{selector}._domainkey.{domain}", "TXT", value,
                Missing: value.Length == 0 ? $"{file} is empty; create a key again with: tern dkim generate {domain}" : null);
        }
    }

    static PlannedRecord Srv(string service, string domain, string host, ListenerOptions listener)
    {
        var name = $"_{service}._tcp.{domain}";
        int port = listener.Enabled ? listener.Listen.Select(PortOf).FirstOrDefault(p => p > 0) : 0;
        return port > 0
            ? new PlannedRecord(DnsRecordKind.Srv, "SRV " + service, name, "SRV", string.Create(CultureInfo.InvariantCulture, $"0 1 {port} {host}."), Port: port)
            // RFC 6186 4: a target of "." says the service is not offered here.
            : new PlannedRecord(DnsRecordKind.Srv, "SRV " + service, name, "SRV", "0 0 0 .", "not offered (listener disabled)");
    }

    /// <summary>The port of a listener address ("*:587", "127.0.0.1:2525", "[::1]:993"); 0 when there is none.</summary>
    static int PortOf(string listen)
    {
        int colon = listen.LastIndexOf(':');
        return colon >= 0 && int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0;
    }

    /// <summary>The records in zone-file form, ready to paste; the policy file and hints as comments.</summary>
    public static string ToZoneText(IReadOnlyList<PlannedRecord> records, string domain, string host)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"; DNS records for {domain}, mail host {host} (generated by tern dns)\n");
        if (!host.Contains('.', StringComparison.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"; WARNING: HostName '{host}' is not a fully qualified name; set HostName to the server's public name first\n");
        foreach (var r in records)
        {
            text.Append('\n');
            if (r.Comment is { } comment)
                text.Append(CultureInfo.InvariantCulture, $"; {r.Label}: {comment}\n");
            if (r.Missing is { } missing)
            {
                text.Append(CultureInfo.InvariantCulture, $"; {r.Label}: {missing}\n");
                continue;
            }
            switch (r.Kind)
            {
                case DnsRecordKind.HostAddress:
                    text.Append(CultureInfo.InvariantCulture, $";{r.Name}.\tIN\tA\t{r.Value}\n");
                    break;
                case DnsRecordKind.MtaStsPolicy:
                    text.Append(CultureInfo.InvariantCulture, $"; {r.Name} needs an address (A/AAAA or CNAME) of a web server. Policy file content:\n");
                    foreach (var line in r.Value.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
                        text.Append(CultureInfo.InvariantCulture, $";   {line}\n");
                    break;
                case DnsRecordKind.Spf or DnsRecordKind.Dkim or DnsRecordKind.Dmarc or DnsRecordKind.MtaSts or DnsRecordKind.TlsRpt:
                    text.Append(CultureInfo.InvariantCulture, $"{r.Name}.\tIN\tTXT\t{QuoteTxt(r.Value)}\n");
                    break;
                default:
                    text.Append(CultureInfo.InvariantCulture, $"{r.Name}.\tIN\t{r.Type}\t{r.Value}\n");
                    break;
            }
        }
        text.Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"; Client autoconfiguration beyond RFC 6186 (Thunderbird autoconfig, Outlook autodiscover) is not served\n");
        text.Append(CultureInfo.InvariantCulture, $"; by Tern; the SRV records above are what clients that follow RFC 6186 look for.\n");
        return text.ToString();
    }

    /// <summary>RFC 1035 5.1: a TXT value as quoted character-strings of at most 255 octets, in parentheses when split.</summary>
    public static string QuoteTxt(string value)
    {
        var parts = value.Chunk(255).Select(c => "\"" + new string(c).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"").ToList();
        if (parts.Count == 0)
            return "\"\"";
        return parts.Count == 1 ? parts[0] : "( " + string.Join("\n\t\t\t", parts) + " )";
    }
}

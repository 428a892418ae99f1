using System.Text.RegularExpressions;
using DnsClient;
using DnsClient.Protocol;
using Tern.Configuration;
using Tern.Delivery.Remote;

namespace Tern.Dns;

/// <summary>The verdict on one planned record.</summary>
public enum DnsCheckStatus { Ok, Missing, Wrong, Malformed, Error }

/// <param name="Detail">What was found, and what was expected when it is not ok.</param>
public sealed record DnsCheckResult(PlannedRecord Record, DnsCheckStatus Status, string Detail);

/// <summary><c>tern dns check</c>: queries every planned record through <c>Dns:Servers</c> and judges it. A record need
/// not equal Tern's suggestion to be ok: any valid DMARC policy is fine, any SPF record that authorises this host, any
/// MX set that includes it; DKIM keys must match the key files exactly.</summary>
public sealed partial class DnsChecker(TernOptions options, DnsLookup dns, MtaStsFetcher fetcher)
{
    readonly string host = options.HostName.Trim().TrimEnd('.').ToLowerInvariant();

    public async Task<IReadOnlyList<DnsCheckResult>> CheckAsync(string domain, CancellationToken cancellationToken)
    {
        domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        var results = new List<DnsCheckResult>();
        foreach (var record in DnsRecordPlan.For(options, domain))
            results.Add(await CheckAsync(record, domain, cancellationToken).ConfigureAwait(false));
        return results;
    }

    async Task<DnsCheckResult> CheckAsync(PlannedRecord record, string domain, CancellationToken cancellationToken)
    {
        if (record.Missing is { } missing)
            return new(record, DnsCheckStatus.Missing, missing);
        return record.Kind switch
        {
            DnsRecordKind.Mx => await CheckMxAsync(record, cancellationToken).ConfigureAwait(false),
            DnsRecordKind.HostAddress => await CheckAddressAsync(record, cancellationToken).ConfigureAwait(false),
            DnsRecordKind.Srv => await CheckSrvAsync(record, cancellationToken).ConfigureAwait(false),
            DnsRecordKind.MtaStsPolicy => await CheckPolicyAsync(record, domain, cancellationToken).ConfigureAwait(false),
            _ => await CheckTxtAsync(record, cancellationToken).ConfigureAwait(false),
        };
    }

    static DnsCheckResult? Failed(PlannedRecord record, DnsLookupResult result, string expected)
    {
        if (result.Status == DnsLookupStatus.Error)
            return new(record, DnsCheckStatus.Error, (result.TimedOut ? "timeout: " : "DNS error: ") + result.Error);
        if (result.Records.Count == 0)
            return new(record, DnsCheckStatus.Missing, (result.Status == DnsLookupStatus.NoSuchName ? "name does not exist" : $"no {record.Type} record") + "; expected " + expected);
        return null;
    }

    async Task<DnsCheckResult> CheckMxAsync(PlannedRecord record, CancellationToken cancellationToken)
    {
        var result = await dns.QueryAsync(record.Name, QueryType.MX, cancellationToken).ConfigureAwait(false);
        if (Failed(record, result, record.Value) is { } failed)
            return failed;
        var mx = result.Records.OfType<MxRecord>().Select(r => (r.Preference, Host: r.Exchange.Value.TrimEnd('.').ToLowerInvariant())).ToList();
        var found = string.Join(", ", mx.Select(m => $"{m.Preference} {m.Host}."));
        if (mx.Any(m => m.Host == host))
            return new(record, DnsCheckStatus.Ok, found);
        return new(record, DnsCheckStatus.Wrong, $"found {found}; expected an MX record for {host}.");
    }

    async Task<DnsCheckResult> CheckAddressAsync(PlannedRecord record, CancellationToken cancellationToken)
    {
        var a = await dns.QueryAsync(record.Name, QueryType.A, cancellationToken).ConfigureAwait(false);
        var aaaa = await dns.QueryAsync(record.Name, QueryType.AAAA, cancellationToken).ConfigureAwait(false);
        var addresses = a.Records.OfType<ARecord>().Select(r => r.Address.ToString())
            .Concat(aaaa.Records.OfType<AaaaRecord>().Select(r => r.Address.ToString())).ToList();
        if (addresses.Count > 0)
            return new(record, DnsCheckStatus.Ok, string.Join(", ", addresses));
        if (a.Status == DnsLookupStatus.Error)
            return Failed(record, a, "")!;
        return new(record, DnsCheckStatus.Missing, $"{record.Name} has no A or AAAA record; expected the server's public address");
    }

    async Task<DnsCheckResult> CheckSrvAsync(PlannedRecord record, CancellationToken cancellationToken)
    {
        var result = await dns.QueryAsync(record.Name, QueryType.SRV, cancellationToken).ConfigureAwait(false);
        bool offered = record.Port > 0;
        if (!offered && result.Status != DnsLookupStatus.Error && result.Records.Count == 0)
            return new(record, DnsCheckStatus.Ok, "not offered, no record (\"0 0 0 .\" would say so explicitly)");
        if (Failed(record, result, record.Value) is { } failed)
            return failed;
        var srv = result.Records.OfType<SrvRecord>().Select(r => (r.Port, Target: r.Target.Value.TrimEnd('.').ToLowerInvariant())).ToList();
        var found = string.Join(", ", srv.Select(s => $"port {s.Port} target {(s.Target.Length == 0 ? "." : s.Target + ".")}"));
        bool match = offered
            ? srv.Any(s => s.Target == host && s.Port == record.Port)
            : srv.All(s => s.Target.Length == 0);
        return match
            ? new(record, DnsCheckStatus.Ok, found)
            : new(record, DnsCheckStatus.Wrong, $"found {found}; expected {record.Value}");
    }

    async Task<DnsCheckResult> CheckTxtAsync(PlannedRecord record, CancellationToken cancellationToken)
    {
        var result = await dns.QueryAsync(record.Name, QueryType.TXT, cancellationToken).ConfigureAwait(false);
        if (Failed(record, result, Quote(record.Value)) is { } failed)
            return failed;
        var (prefix, what) = record.Kind switch
        {
            DnsRecordKind.Spf => ("v=spf1", "SPF"),
            DnsRecordKind.Dkim => ("", "DKIM"),
            DnsRecordKind.Dmarc => ("v=DMARC1", "DMARC"),
            DnsRecordKind.MtaSts => ("v=STSv1", "MTA-STS"),
            _ => ("v=TLSRPTv1", "TLS-RPT"),
        };
        var texts = result.Texts;
        var candidates = prefix.Length == 0 ? texts.ToList() : texts.Where(t => IsVersion(t, prefix)).ToList();
        if (candidates.Count == 0)
            return new(record, DnsCheckStatus.Missing, $"no {what} record among {texts.Count} TXT record(s); expected {Quote(record.Value)}");
        if (candidates.Count > 1)
            return new(record, DnsCheckStatus.Malformed, $"{candidates.Count} {what} records where only one may exist: {string.Join(" | ", candidates.Select(Quote))}");
        var found = candidates[0];
        var problem = record.Kind switch
        {
            DnsRecordKind.Spf => SpfProblem(found),
            DnsRecordKind.Dmarc => DmarcProblem(found),
            DnsRecordKind.MtaSts => MtaStsPolicy.TryParseTxt(found, out _, out var error) ? null : (DnsCheckStatus.Malformed, error),
            DnsRecordKind.TlsRpt => TlsRptProblem(found),
            _ => DkimProblem(found, record.Value),
        };
        return problem is { } p
            ? new(record, p.Status, $"found {Quote(found)}: {p.Reason}; expected {Quote(record.Value)}")
            : new(record, DnsCheckStatus.Ok, Quote(found));
    }

    async Task<DnsCheckResult> CheckPolicyAsync(PlannedRecord record, string domain, CancellationToken cancellationToken)
    {
        var fetched = await fetcher.FetchAsync(domain, cancellationToken).ConfigureAwait(false);
        if (fetched.Policy is not { } policy)
        {
            var error = fetched.Error ?? "";
            return new(record, error.Contains("malformed policy", StringComparison.Ordinal) ? DnsCheckStatus.Malformed : DnsCheckStatus.Missing,
                $"{error}; expected a policy naming {host}");
        }
        if (policy.Mode != MtaStsMode.None && !policy.Matches(host))
            return new(record, DnsCheckStatus.Wrong, $"found {policy.Describe()}; the mx lines do not cover {host}");
        return new(record, DnsCheckStatus.Ok, policy.Describe());
    }

    /// <summary>RFC 7208 4.5: a record is SPF when its version is exactly "v=spf1" followed by a space or its end (and
    /// likewise for the other tag-based records).</summary>
    static bool IsVersion(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (text.Length == prefix.Length || text[prefix.Length] is ' ' or ';' or '\t');

    (DnsCheckStatus Status, string Reason)? SpfProblem(string text)
    {
        var terms = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var bad = terms.FirstOrDefault(t => !SpfTerm().IsMatch(t));
        if (bad is not null)
            return (DnsCheckStatus.Malformed, $"'{bad}' is not an SPF mechanism or modifier (RFC 7208 12)");
        // Anything that can authorise this host counts: mx, a:host, an include or redirect, explicit addresses.
        bool covers = terms.Any(t =>
        {
            var term = t.TrimStart('+');
            return term.StartsWith("mx", StringComparison.OrdinalIgnoreCase)
                || term.Equals("a:" + host, StringComparison.OrdinalIgnoreCase)
                || term.StartsWith("include:", StringComparison.OrdinalIgnoreCase)
                || term.StartsWith("redirect=", StringComparison.OrdinalIgnoreCase)
                || term.StartsWith("ip4:", StringComparison.OrdinalIgnoreCase)
                || term.StartsWith("ip6:", StringComparison.OrdinalIgnoreCase);
        });
        return covers ? null : (DnsCheckStatus.Wrong, $"nothing in it authorises {host}");
    }

    static (DnsCheckStatus Status, string Reason)? DmarcProblem(string text)
    {
        var tags = Tags(text);
        if (!tags.TryGetValue("p", out var p))
            return (DnsCheckStatus.Malformed, "no p= tag (RFC 7489 6.3)");
        if (p.ToLowerInvariant() is not ("none" or "quarantine" or "reject"))
            return (DnsCheckStatus.Malformed, $"p={p} is not none, quarantine or reject");
        return null;
    }

    static (DnsCheckStatus Status, string Reason)? TlsRptProblem(string text) =>
        Tags(text).TryGetValue("rua", out var rua) && rua.Length > 0 ? null : (DnsCheckStatus.Malformed, "no rua= tag (RFC 8460 3)");

    static (DnsCheckStatus Status, string Reason)? DkimProblem(string found, string expected)
    {
        var key = Tags(found).GetValueOrDefault("p");
        if (key is null)
            return (DnsCheckStatus.Malformed, "no p= tag (RFC 6376 3.6.1)");
        var expectedKey = Tags(expected).GetValueOrDefault("p") ?? "";
        return Squeeze(key) == Squeeze(expectedKey) ? null : (DnsCheckStatus.Wrong, "a different public key than the key file");
    }

    static string Squeeze(string value) => string.Concat(value.Where(c => !char.IsWhiteSpace(c)));

    static Dictionary<string, string> Tags(string text)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(';'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                tags.TryAdd(part[..eq].Trim(), part[(eq + 1)..].Trim());
        }
        return tags;
    }

    static string Quote(string value) => "\"" + (value.Length > 120 ? value[..117] + "..." : value) + "\"";

    [GeneratedRegex(@"^([+\-~?]?(all|include:\S+|a(:[^/\s]+)?(/\d+){0,2}|mx(:[^/\s]+)?(/\d+){0,2}|ptr(:\S+)?|ip4:[0-9./]+|ip6:[0-9A-Fa-f:./]+|exists:\S+)|[A-Za-z][A-Za-z0-9\-_.]*=\S*)$", RegexOptions.IgnoreCase)]
    private static partial Regex SpfTerm();
}

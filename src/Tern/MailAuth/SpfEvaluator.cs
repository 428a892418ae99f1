using System.Net;
using System.Net.Sockets;

namespace Tern.MailAuth;

/// <summary>The outcome of an SPF check: the result, the identity checked, and a reason for the header comment.</summary>
public sealed record SpfOutcome(SpfResult Result, string Domain, string Reason, string? Explanation = null);

/// <summary>RFC 7208 check_host(): the record of the sender's domain evaluated against the client's address, with
/// the limits of 4.6.4 (10 DNS-querying terms, 2 void lookups, 10 MX or PTR names per term).</summary>
public sealed class SpfEvaluator(MailAuthDns dns)
{
    public const int MaxLookups = 10;
    public const int MaxVoidLookups = 2;
    const int MaxNamesPerTerm = 10;

    sealed class Budget
    {
        public int Lookups;
        public int VoidLookups;
    }

    sealed class SpfLimitException(SpfResult result, string reason) : Exception(reason)
    {
        public SpfResult Result { get; } = result;
    }

    /// <summary>Checks <paramref name="sender"/> (MAIL FROM, or postmaster@HELO when it is empty, RFC 7208 2.4) from
    /// <paramref name="address"/>.</summary>
    public async Task<SpfOutcome> CheckAsync(IPAddress address, string sender, string helo, string receiver, CancellationToken cancellationToken)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4(); // RFC 7208 5: an IPv4-mapped address is evaluated as IPv4
        var identity = sender.Length == 0 ? "postmaster@" + helo : sender;
        var domain = identity[(identity.LastIndexOf('@') + 1)..].TrimEnd('.');
        var context = new SpfContext(address, identity, helo, receiver, domain);
        try
        {
            var (result, reason, record) = await CheckHostAsync(context, new Budget(), 0, cancellationToken).ConfigureAwait(false);
            string? explanation = null;
            if (result == SpfResult.Fail && record?.Explanation is { } exp)
                explanation = await ExplainAsync(context, exp, cancellationToken).ConfigureAwait(false);
            return new SpfOutcome(result, domain, reason, explanation);
        }
        catch (SpfLimitException ex)
        {
            return new SpfOutcome(ex.Result, domain, ex.Message);
        }
    }

    async Task<(SpfResult Result, string Reason, SpfRecord? Record)> CheckHostAsync(
        SpfContext context, Budget budget, int depth, CancellationToken cancellationToken)
    {
        // RFC 7208 4.3: a domain that is not a multi-label FQDN gives "none".
        var domain = context.Domain;
        if (domain.Length == 0 || !domain.Contains('.', StringComparison.Ordinal) || domain.Split('.').Any(l => l.Length is 0 or > 63))
            return (SpfResult.None, $"{domain} is not a valid domain", null);
        var txt = await dns.TxtAsync(domain, cancellationToken).ConfigureAwait(false);
        if (txt.Outcome == DnsOutcome.TemporaryError)
            return (SpfResult.TempError, $"DNS error for {domain}: {txt.Error}", null);
        var spf = txt.Records.Where(SpfRecord.IsSpf).ToList();
        if (spf.Count == 0)
            return (SpfResult.None, $"{domain} has no SPF record", null);
        if (spf.Count > 1)
            return (SpfResult.PermError, $"{domain} has {spf.Count} SPF records", null); // RFC 7208 4.5
        if (!SpfRecord.TryParse(spf[0], out var record, out var syntax))
            return (SpfResult.PermError, $"{domain}: {syntax}", null);

        foreach (var directive in record.Directives)
        {
            var match = await MatchAsync(directive, context, budget, depth, cancellationToken).ConfigureAwait(false);
            if (match is { } error)
            {
                if (error.Result is SpfResult.TempError or SpfResult.PermError)
                    return (error.Result, error.Reason, record);
                if (error.Result == SpfResult.Pass) // the mechanism matched
                    return (directive.Qualifier, $"{domain}: matched {directive.Mechanism}{(directive.DomainSpec is null ? "" : ":" + directive.DomainSpec)}", record);
            }
        }
        if (record.Redirect is { } redirect)
        {
            // RFC 7208 6.1: redirect counts as a lookup; a target without a record is a permerror.
            Count(budget);
            var target = await ExpandDomainAsync(redirect, context, cancellationToken).ConfigureAwait(false);
            var (result, reason, inner) = await CheckHostAsync(context with { Domain = target }, budget, depth + 1, cancellationToken).ConfigureAwait(false);
            return result == SpfResult.None ? (SpfResult.PermError, $"redirect to {target}: {reason}", inner) : (result, reason, inner);
        }
        return (SpfResult.Neutral, $"{domain}: no mechanism matched", record); // RFC 7208 4.7
    }

    /// <summary>Null: no match. Pass: match. TempError/PermError: stop with that result.</summary>
    async Task<(SpfResult Result, string Reason)?> MatchAsync(
        SpfDirective directive, SpfContext context, Budget budget, int depth, CancellationToken cancellationToken)
    {
        var ip = context.Address;
        switch (directive.Mechanism)
        {
            case "all":
                return (SpfResult.Pass, "");
            case "ip4" or "ip6":
                return InNetwork(ip, directive.Network!, directive.Mechanism == "ip4" ? directive.Cidr4 : directive.Cidr6) ? (SpfResult.Pass, "") : null;
            case "include":
                {
                    Count(budget);
                    var target = await ExpandDomainAsync(directive.DomainSpec!, context, cancellationToken).ConfigureAwait(false);
                    var (result, reason, _) = await CheckHostAsync(context with { Domain = target }, budget, depth + 1, cancellationToken).ConfigureAwait(false);
                    // RFC 7208 5.2: the include's result decides whether it matches.
                    return result switch
                    {
                        SpfResult.Pass => (SpfResult.Pass, ""),
                        SpfResult.TempError => (SpfResult.TempError, reason),
                        SpfResult.PermError or SpfResult.None => (SpfResult.PermError, $"include:{target}: {reason}"),
                        _ => null,
                    };
                }
            case "a":
                {
                    Count(budget);
                    var target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    var answer = await dns.AddressesAsync(target, ip.AddressFamily == AddressFamily.InterNetworkV6, cancellationToken).ConfigureAwait(false);
                    if (Void(answer, budget, target) is { } stop)
                        return stop;
                    return answer.Records.Any(a => InNetwork(ip, a, Cidr(directive, ip))) ? (SpfResult.Pass, "") : null;
                }
            case "mx":
                {
                    Count(budget);
                    var target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    var mx = await dns.MxAsync(target, cancellationToken).ConfigureAwait(false);
                    if (Void(mx, budget, target) is { } stop)
                        return stop;
                    if (mx.Records.Count > MaxNamesPerTerm)
                        return (SpfResult.PermError, $"mx:{target} has more than {MaxNamesPerTerm} MX records"); // RFC 7208 4.6.4
                    foreach (var host in mx.Records)
                    {
                        var answer = await dns.AddressesAsync(host, ip.AddressFamily == AddressFamily.InterNetworkV6, cancellationToken).ConfigureAwait(false);
                        if (Void(answer, budget, host) is { } hostStop)
                            return hostStop;
                        if (answer.Records.Any(a => InNetwork(ip, a, Cidr(directive, ip))))
                            return (SpfResult.Pass, "");
                    }
                    return null;
                }
            case "ptr":
                {
                    Count(budget);
                    var target = await TargetAsync(directive, context, cancellationToken).ConfigureAwait(false);
                    var validated = await ValidatedNamesAsync(ip, budget, cancellationToken).ConfigureAwait(false);
                    return validated.Any(n => n.Equals(target, StringComparison.OrdinalIgnoreCase) || n.EndsWith("." + target, StringComparison.OrdinalIgnoreCase))
                        ? (SpfResult.Pass, "") : null;
                }
            case "exists":
                {
                    Count(budget);
                    var target = await ExpandDomainAsync(directive.DomainSpec!, context, cancellationToken).ConfigureAwait(false);
                    var answer = await dns.AddressesAsync(target, ipv6: false, cancellationToken).ConfigureAwait(false); // RFC 7208 5.7: always A
                    if (Void(answer, budget, target) is { } stop)
                        return stop;
                    return answer.Records.Count > 0 ? (SpfResult.Pass, "") : null;
                }
            default:
                return (SpfResult.PermError, $"unknown mechanism {directive.Mechanism}");
        }
    }

    static int Cidr(SpfDirective directive, IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? directive.Cidr6 : directive.Cidr4;

    static void Count(Budget budget)
    {
        // RFC 7208 4.6.4: more than 10 DNS-querying terms is a permerror.
        if (++budget.Lookups > MaxLookups)
            throw new SpfLimitException(SpfResult.PermError, $"more than {MaxLookups} DNS lookups (RFC 7208 4.6.4)");
    }

    /// <summary>A temporary error stops the evaluation; an empty answer counts as a void lookup (RFC 7208 4.6.4).</summary>
    static (SpfResult, string)? Void<T>(DnsAnswer<T> answer, Budget budget, string name)
    {
        if (answer.Outcome == DnsOutcome.TemporaryError)
            return (SpfResult.TempError, $"DNS error for {name}: {answer.Error}");
        if (answer.Outcome == DnsOutcome.Empty && ++budget.VoidLookups > MaxVoidLookups)
            throw new SpfLimitException(SpfResult.PermError, $"more than {MaxVoidLookups} void lookups (RFC 7208 4.6.4)");
        return null;
    }

    async Task<string> TargetAsync(SpfDirective directive, SpfContext context, CancellationToken cancellationToken) =>
        directive.DomainSpec is null ? context.Domain : await ExpandDomainAsync(directive.DomainSpec, context, cancellationToken).ConfigureAwait(false);

    async Task<string> ExpandDomainAsync(string spec, SpfContext context, CancellationToken cancellationToken)
    {
        string? validated = spec.Contains("%{p", StringComparison.OrdinalIgnoreCase)
            ? (await ValidatedNamesAsync(context.Address, new Budget(), cancellationToken).ConfigureAwait(false)).FirstOrDefault(n =>
                n.Equals(context.Domain, StringComparison.OrdinalIgnoreCase) || n.EndsWith("." + context.Domain, StringComparison.OrdinalIgnoreCase))
            : null;
        if (!SpfMacro.TryExpand(spec, context, validated, explanation: false, out var expanded))
            throw new SpfLimitException(SpfResult.PermError, $"bad macro '{spec}'");
        return SpfMacro.Truncate(expanded);
    }

    /// <summary>RFC 7208 5.5: the PTR names of the address whose own A/AAAA records lead back to it (at most 10 tried).</summary>
    async Task<List<string>> ValidatedNamesAsync(IPAddress ip, Budget budget, CancellationToken cancellationToken)
    {
        var names = await dns.PtrAsync(ip, cancellationToken).ConfigureAwait(false);
        if (names.Outcome == DnsOutcome.TemporaryError)
            return [];
        if (names.Outcome == DnsOutcome.Empty)
            budget.VoidLookups++;
        var validated = new List<string>();
        foreach (var name in names.Records.Take(MaxNamesPerTerm))
        {
            var forward = await dns.AddressesAsync(name, ip.AddressFamily == AddressFamily.InterNetworkV6, cancellationToken).ConfigureAwait(false);
            if (forward.Records.Any(a => a.Equals(ip)))
                validated.Add(name);
        }
        return validated;
    }

    /// <summary>RFC 7208 6.2: the explanation TXT of a fail; any trouble means no explanation.</summary>
    async Task<string?> ExplainAsync(SpfContext context, string spec, CancellationToken cancellationToken)
    {
        try
        {
            var target = await ExpandDomainAsync(spec, context, cancellationToken).ConfigureAwait(false);
            var txt = await dns.TxtAsync(target, cancellationToken).ConfigureAwait(false);
            if (txt.Records.Count != 1)
                return null;
            return SpfMacro.TryExpand(txt.Records[0], context, null, explanation: true, out var text) ? text : null;
        }
        catch (SpfLimitException)
        {
            return null;
        }
    }

    /// <summary>True when the first <paramref name="prefix"/> bits of both addresses agree (same family only).</summary>
    public static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        if (network.IsIPv4MappedToIPv6)
            network = network.MapToIPv4();
        if (address.AddressFamily != network.AddressFamily)
            return false;
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        int full = prefix / 8, rest = prefix % 8;
        if (!a.AsSpan(0, full).SequenceEqual(n.AsSpan(0, full)))
            return false;
        if (rest == 0)
            return true;
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[full] & mask) == (n[full] & mask);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Tern.Configuration;

namespace Tern.Delivery.Remote;

/// <summary>One host to try for a domain, with its MX preference (0 for an implicit MX or a smarthost).</summary>
public sealed record MxHost(string Name, int Preference);

/// <summary>Why a route could not be found; <see cref="Permanent"/> failures bounce at once, the others are retried.</summary>
/// <param name="Status">RFC 3463 enhanced status code for the DSN (5.1.10 null MX, 5.1.2 no such domain, 4.4.3 DNS trouble).</param>
public sealed record RouteFailure(bool Permanent, string Status, string Reason);

/// <summary>The hosts of a domain in the order to try them, or why there are none.</summary>
public sealed record MxRoute(IReadOnlyList<MxHost> Hosts, bool ImplicitMx, RouteFailure? Failure)
{
    public static MxRoute Fail(bool permanent, string status, string reason) => new([], false, new RouteFailure(permanent, status, reason));
}

/// <summary>The addresses of one host, or why there are none (for the log and the retry reason).</summary>
public sealed record HostAddresses(IReadOnlyList<IPAddress> Addresses, string? Error);

/// <summary>RFC 5321 section 5 routing with DnsClient: MX records in preference order, equal preferences shuffled,
/// the domain itself as an implicit MX when it has none, and RFC 7505 null MX refused at once.</summary>
/// <remarks>Queries go to <c>Dns:Servers</c> ("address" or "address:port", the demo's DnsServer) or, when the list is
/// empty, to the system's resolvers. DNS answers are cached by DnsClient for their TTL; failures are not.</remarks>
public sealed class MxResolver
{
    readonly ILookupClient client;
    readonly TimeSpan timeout;

    public MxResolver(TernOptions options)
    {
        timeout = TimeSpan.FromSeconds(Math.Max(1, options.Dns.TimeoutSeconds));
        var servers = options.Dns.Servers.Select(ParseNameServer).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.Timeout = timeout;
        lookup.Retries = 1;
        lookup.UseCache = true;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = true;
        lookup.UseTcpFallback = true;
        client = new LookupClient(lookup);
    }

    /// <summary>"127.0.0.1", "127.0.0.1:5353", "[::1]:5353" or "::1"; port 53 when none is given.</summary>
    public static NameServer ParseNameServer(string text)
    {
        text = text.Trim();
        if (IPAddress.TryParse(text, out var bare))
            return new NameServer(new IPEndPoint(bare, 53));
        if (IPEndPoint.TryParse(text, out var endPoint))
        {
            if (endPoint.Port == 0)
                endPoint.Port = 53;
            return new NameServer(endPoint);
        }
        throw new FormatException($"Dns:Servers: '{text}' is not an address or address:port");
    }

    /// <summary>The hosts to try for <paramref name="domain"/>: RFC 5321 5.1.</summary>
    public async Task<MxRoute> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        // RFC 5321 4.1.3: an address literal names the host itself; no DNS.
        if (domain.StartsWith('['))
        {
            var literal = domain.Trim('[', ']');
            if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
                literal = literal[5..];
            return IPAddress.TryParse(literal, out _)
                ? new MxRoute([new MxHost(domain, 0)], true, null)
                : MxRoute.Fail(true, "5.1.2", $"bad address literal {domain}");
        }

        IDnsQueryResponse response;
        try
        {
            response = await client.QueryAsync(domain, QueryType.MX, QueryClass.IN, cancellationToken);
        }
        catch (Exception ex) when (IsDnsError(ex))
        {
            return MxRoute.Fail(false, "4.4.3", $"MX lookup for {domain} failed: {Describe(ex)}");
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            return MxRoute.Fail(true, "5.1.2", $"domain {domain} does not exist (NXDOMAIN)");
        if (response.HasError)
            return MxRoute.Fail(false, "4.4.3", $"MX lookup for {domain} failed: {response.ErrorMessage}");

        var mx = response.Answers.MxRecords().ToList();
        // RFC 7505 3: a single MX with preference 0 and the root as exchange: the domain accepts no mail.
        if (mx.Any(r => IsRoot(r.Exchange.Value)))
        {
            return mx.Count == 1 && mx[0].Preference == 0
                ? MxRoute.Fail(true, "5.1.10", $"domain {domain} accepts no mail (null MX, RFC 7505)")
                : MxRoute.Fail(true, "5.1.10", $"domain {domain} publishes a null MX among other MX records (RFC 7505 3)");
        }
        if (mx.Count == 0)
        {
            // RFC 5321 5.1: no MX records: the domain itself is the one host, with preference 0.
            return new MxRoute([new MxHost(domain, 0)], true, null);
        }

        // RFC 5321 5.1: lowest preference first; hosts of equal preference in random order to spread load.
        var hosts = mx
            .Select(r => new MxHost(r.Exchange.Value.TrimEnd('.'), r.Preference))
            .GroupBy(h => h.Preference)
            .OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(_ => Random.Shared.Next()))
            .ToList();
        return new MxRoute(hosts, false, null);
    }

    /// <summary>Every A and AAAA address of <paramref name="host"/> (IPv4 first), or why there are none.</summary>
    public async Task<HostAddresses> ResolveAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var literal = host.Trim('[', ']');
        if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
            literal = literal[5..];
        if (IPAddress.TryParse(literal, out var ip))
            return new HostAddresses([ip], null);

        var addresses = new List<IPAddress>();
        var errors = new List<string>();
        foreach (var type in AddressTypes)
        {
            try
            {
                var response = await client.QueryAsync(host, type, QueryClass.IN, cancellationToken);
                if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
                {
                    errors.Add($"{host} does not exist (NXDOMAIN)");
                    break;
                }
                if (response.HasError)
                {
                    errors.Add($"{type} lookup for {host} failed: {response.ErrorMessage}");
                    continue;
                }
                addresses.AddRange(type == QueryType.A
                    ? response.Answers.ARecords().Select(r => r.Address)
                    : response.Answers.AaaaRecords().Select(r => r.Address));
            }
            catch (Exception ex) when (IsDnsError(ex))
            {
                errors.Add($"{type} lookup for {host} failed: {Describe(ex)}");
            }
        }
        addresses = addresses.Distinct().ToList();
        if (addresses.Count > 0)
            return new HostAddresses(addresses, null);
        return new HostAddresses([], errors.Count > 0 ? string.Join("; ", errors) : $"{host} has no A or AAAA record");
    }

    static readonly QueryType[] AddressTypes = [QueryType.A, QueryType.AAAA];

    static bool IsRoot(string exchange) => exchange is "." or "";

    static bool IsDnsError(Exception ex) =>
        ex is DnsResponseException or DnsResponseParseException or SocketException or IOException or TimeoutException
            or ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException;

    string Describe(Exception ex) => ex switch
    {
        DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } =>
            string.Create(CultureInfo.InvariantCulture, $"no answer from the DNS server within {timeout.TotalSeconds:0} s"),
        DnsResponseException dns => $"bad answer from the DNS server ({dns.Message})",
        DnsResponseParseException => $"unparsable answer from the DNS server ({ex.Message})",
        _ => ex.Message,
    };
}

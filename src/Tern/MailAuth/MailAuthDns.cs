using System.Net;
using System.Net.Sockets;
using System.Text;
using DnsClient;
using DnsClient.Protocol;
using Tern.Configuration;
using Tern.Delivery.Remote;

namespace Tern.MailAuth;

/// <summary>How a DNS question ended, in the terms the SPF, DKIM and DMARC RFCs use.</summary>
public enum DnsOutcome
{
    /// <summary>Records of the asked type (the list may still be empty after filtering by the caller).</summary>
    Found,
    /// <summary>NXDOMAIN or NOERROR without records of that type: a "void lookup" (RFC 7208 4.6.4).</summary>
    Empty,
    /// <summary>SERVFAIL, timeout, garbage: a temporary error (RFC 7208 2.6.6, RFC 6376 6.1.2).</summary>
    TemporaryError,
}

/// <summary>The answer to one question: the records, or why there are none.</summary>
public sealed record DnsAnswer<T>(DnsOutcome Outcome, IReadOnlyList<T> Records, string? Error = null)
{
    public static DnsAnswer<T> Empty { get; } = new(DnsOutcome.Empty, []);
    public static DnsAnswer<T> Failed(string error) => new(DnsOutcome.TemporaryError, [], error);
}

/// <summary>The DNS questions of mail authentication (TXT, A, AAAA, MX, PTR) through DnsClient and the configured
/// <c>Dns:Servers</c>, as <see cref="MxResolver"/> does for routing. Never throws for DNS trouble: every failure is a
/// <see cref="DnsOutcome.TemporaryError"/>.</summary>
public sealed class MailAuthDns
{
    readonly ILookupClient client;

    public MailAuthDns(TernOptions options)
    {
        var servers = options.Dns.Servers.Select(MxResolver.ParseNameServer).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.Timeout = TimeSpan.FromSeconds(Math.Max(1, options.Dns.TimeoutSeconds));
        lookup.Retries = 1;
        lookup.UseCache = true;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = false;
        lookup.UseTcpFallback = true;
        client = new LookupClient(lookup);
    }

    /// <summary>TXT records, each one's strings joined (RFC 7208 3.3, RFC 6376 3.6.2.2).</summary>
    public Task<DnsAnswer<string>> TxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TXT, answers => answers.TxtRecords().Select(r => string.Concat(r.Text)), cancellationToken);

    public Task<DnsAnswer<IPAddress>> AddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
        ipv6
            ? QueryAsync(name, QueryType.AAAA, answers => answers.AaaaRecords().Select(r => r.Address), cancellationToken)
            : QueryAsync(name, QueryType.A, answers => answers.ARecords().Select(r => r.Address), cancellationToken);

    /// <summary>MX exchanges in preference order.</summary>
    public Task<DnsAnswer<string>> MxAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.MX,
            answers => answers.MxRecords().OrderBy(r => r.Preference).Select(r => r.Exchange.Value.TrimEnd('.')), cancellationToken);

    public Task<DnsAnswer<string>> PtrAsync(IPAddress address, CancellationToken cancellationToken) =>
        QueryAsync(address.GetArpaName(), QueryType.PTR, answers => answers.PtrRecords().Select(r => r.PtrDomainName.Value.TrimEnd('.')), cancellationToken);

    async Task<DnsAnswer<T>> QueryAsync<T>(
        string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        if (!IsQueryableName(name))
            return DnsAnswer<T>.Empty;
        IDnsQueryResponse response;
        try
        {
            response = await client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DnsResponseException or DnsResponseParseException or SocketException or IOException
            or TimeoutException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return DnsAnswer<T>.Failed($"{type} {name}: {ex.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The checks' deadline (or the session's end): unanswered is temporary (RFC 7208 2.6.6).
            return DnsAnswer<T>.Failed($"{type} {name}: no answer before the deadline");
        }
        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
            return DnsAnswer<T>.Empty;
        if (response.HasError)
            return DnsAnswer<T>.Failed($"{type} {name}: {response.ErrorMessage}");
        var records = select(response.Answers).ToList();
        return records.Count == 0 ? DnsAnswer<T>.Empty : new DnsAnswer<T>(DnsOutcome.Found, records);
    }

    /// <summary>RFC 1035 2.3.4: 253 octets, labels of 1 to 63; anything else is not asked (it would be a void lookup).</summary>
    static bool IsQueryableName(string name)
    {
        name = name.TrimEnd('.');
        if (name.Length is 0 or > 253 || Encoding.UTF8.GetByteCount(name) != name.Length)
            return false;
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63)
                return false;
        }
        return true;
    }
}

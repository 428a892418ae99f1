using System.Globalization;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Tern.Configuration;
using Tern.Delivery.Remote;

namespace Tern.Dns;

/// <summary>How a query ended: answered (possibly with no record of the type), the name does not exist, or the DNS
/// could not say (timeout, server failure, garbage).</summary>
public enum DnsLookupStatus { Ok, NoSuchName, Error }

/// <summary>The answer records of one query, or why there are none.</summary>
/// <param name="Error">For <see cref="DnsLookupStatus.Error"/>: one line for the log and the reports ("no answer from
/// the DNS server within 5 s").</param>
public sealed record DnsLookupResult(DnsLookupStatus Status, IReadOnlyList<DnsResourceRecord> Records, string? Error)
{
    public bool TimedOut { get; init; }

    /// <summary>TXT records as single strings: RFC 7208 3.3 / RFC 6376 3.6.2.2, the character-strings of one record are
    /// concatenated without separators.</summary>
    public IReadOnlyList<string> Texts =>
        Records.OfType<TxtRecord>().Select(r => string.Concat(r.Text)).ToList();
}

/// <summary>DNS queries through <c>Dns:Servers</c> (or the system's resolvers), for the records that are not routing:
/// TXT (MTA-STS, SPF, DKIM, DMARC, TLS-RPT), SRV, MX and addresses for <c>tern dns check</c>.</summary>
/// <remarks>Never throws for what the network or the server does: every failure is a <see cref="DnsLookupStatus.Error"/>
/// result, a timeout marked as such.</remarks>
public sealed class DnsLookup
{
    readonly LookupClient client;
    readonly TimeSpan timeout;

    public DnsLookup(TernOptions options)
    {
        timeout = TimeSpan.FromSeconds(Math.Max(1, options.Dns.TimeoutSeconds));
        var servers = options.Dns.Servers.Select(MxResolver.ParseNameServer).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.Timeout = timeout;
        lookup.Retries = 1;
        // Policy records change (an MTA-STS id, a new DKIM key); each lookup asks again.
        lookup.UseCache = false;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = true;
        lookup.UseTcpFallback = true;
        client = new LookupClient(lookup);
    }

    public async Task<DnsLookupResult> QueryAsync(string name, QueryType type, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
                return new DnsLookupResult(DnsLookupStatus.NoSuchName, [], null);
            if (response.HasError)
                return new DnsLookupResult(DnsLookupStatus.Error, [], $"{type} lookup for {name} failed: {response.ErrorMessage}");
            // Only the records of the name asked (not a CNAME chain's intermediate records of other types).
            return new DnsLookupResult(DnsLookupStatus.Ok, response.Answers.Where(r => r.RecordType == (ResourceRecordType)type).ToList(), null);
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            return new DnsLookupResult(DnsLookupStatus.Error, [],
                string.Create(CultureInfo.InvariantCulture, $"{type} lookup for {name} timed out: no answer from the DNS server within {timeout.TotalSeconds:0} s"))
            { TimedOut = true };
        }
        catch (Exception ex) when (ex is DnsResponseException or DnsResponseParseException or SocketException or IOException
            or TimeoutException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return new DnsLookupResult(DnsLookupStatus.Error, [], $"{type} lookup for {name} failed: {ex.Message}");
        }
    }
}

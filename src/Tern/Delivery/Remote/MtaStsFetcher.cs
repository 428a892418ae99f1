using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Tern.Configuration;

namespace Tern.Delivery.Remote;

/// <summary>Fetches an MTA-STS policy file (RFC 8461 3.3): <c>https://mta-sts.DOMAIN/.well-known/mta-sts.txt</c>, with a
/// verified certificate for <c>mta-sts.DOMAIN</c>, no redirects, 200 only, <c>text/plain</c>, at most 64 KB.</summary>
/// <remarks>The policy host's address comes from <c>Dns:Servers</c> (the same resolver as MX routing), not the system's;
/// <c>Relay:MtaStsHttpsPort</c> replaces 443 for tests, which serve policies from a loopback HTTPS server.</remarks>
public sealed class MtaStsFetcher(TernOptions options, MxResolver resolver, TlsTrust trust)
{
    public sealed record FetchResult(MtaStsPolicy? Policy, string? Error);

    public static string PolicyHost(string domain) => "mta-sts." + domain;

    public Uri PolicyUri(string domain)
    {
        int port = options.Relay.MtaStsHttpsPort;
        return new Uri(port == 443
            ? $"https://{PolicyHost(domain)}/.well-known/mta-sts.txt"
            : string.Create(CultureInfo.InvariantCulture, $"https://{PolicyHost(domain)}:{port}/.well-known/mta-sts.txt"));
    }

    public async Task<FetchResult> FetchAsync(string domain, CancellationToken cancellationToken)
    {
        var uri = PolicyUri(domain);
        string? certificateProblem = null;
        string? connectProblem = null;
        using var handler = new SocketsHttpHandler
        {
            // RFC 8461 3.3: "HTTP 3xx redirects MUST NOT be followed".
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, options.Relay.ConnectTimeoutSeconds)),
            SslOptions = new SslClientAuthenticationOptions
            {
                // RFC 8461 3.3: the policy host must present a certificate valid for its name (PKIX, RFC 6125).
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    var verdict = trust.Evaluate(certificate, chain, errors, uri.Host);
                    certificateProblem = verdict.Problem;
                    return verdict.Valid;
                },
            },
            ConnectCallback = async (context, token) =>
            {
                var addresses = await resolver.ResolveAddressesAsync(context.DnsEndPoint.Host, token).ConfigureAwait(false);
                if (addresses.Addresses.Count == 0)
                {
                    connectProblem = addresses.Error ?? $"{context.DnsEndPoint.Host} has no address";
                    throw new HttpRequestException(connectProblem);
                }
                Exception? last = null;
                foreach (var address in addresses.Addresses)
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), token).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch (SocketException ex)
                    {
                        socket.Dispose();
                        last = ex;
                    }
                }
                connectProblem = $"cannot connect to {context.DnsEndPoint.Host}: {last?.Message}";
                throw new HttpRequestException(connectProblem, last);
            },
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, options.Relay.MtaStsFetchTimeoutSeconds)));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
                return new FetchResult(null, string.Create(CultureInfo.InvariantCulture, $"{uri} answered HTTP {(int)response.StatusCode} (RFC 8461 3.3 wants 200, no redirects)"));
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase))
                return new FetchResult(null, $"{uri} is served as {mediaType ?? "no content type"}, not text/plain (RFC 8461 3.3)");
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            var buffer = new byte[MtaStsPolicy.MaxBodyBytes + 1];
            int total = 0, read;
            while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), timeout.Token).ConfigureAwait(false)) > 0)
                total += read;
            if (total > MtaStsPolicy.MaxBodyBytes)
                return new FetchResult(null, $"{uri} is larger than {MtaStsPolicy.MaxBodyBytes} octets");
            var text = Encoding.UTF8.GetString(buffer, 0, total);
            return MtaStsPolicy.TryParse(text, out var policy, out var error)
                ? new FetchResult(policy, null)
                : new FetchResult(null, $"malformed policy at {uri}: {error}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FetchResult(null, string.Create(CultureInfo.InvariantCulture, $"{uri}: no answer within {options.Relay.MtaStsFetchTimeoutSeconds} s"));
        }
        catch (HttpRequestException ex)
        {
            var reason = certificateProblem ?? connectProblem ?? Flatten(ex);
            return new FetchResult(null, $"{uri}: {reason}");
        }
        catch (IOException ex)
        {
            return new FetchResult(null, $"{uri}: {certificateProblem ?? Flatten(ex)}");
        }
    }

    static string Flatten(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
            parts.Add(e.Message);
        return string.Join(": ", parts.Distinct());
    }
}

using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Delivery.Remote;

/// <summary>What the TLS policies demand of the connection that carries one message.</summary>
/// <param name="VerifiedTls">STARTTLS is required, with a certificate valid for the MX host name (PKIX).</param>
/// <param name="Why">Which policy demands it, for the reasons kept with deferred recipients.</param>
/// <param name="Policy">The destination's MTA-STS policy (RFC 8461): in enforce mode only matching MX hosts are used;
/// in testing mode violations are logged only.</param>
/// <param name="RequireTlsExtension">RFC 8689: the message was submitted with REQUIRETLS; the next hop must offer it.</param>
public sealed record TlsRequirement(bool VerifiedTls, string? Why, MtaStsPolicy? Policy, bool RequireTlsExtension)
{
    public static readonly TlsRequirement None = new(false, null, null, false);

    public bool EnforcesPolicy => Policy?.Mode == MtaStsMode.Enforce;
}

/// <summary>Finds the route of a domain and opens an SMTP session to the first host that answers: RFC 5321 5.1
/// (every address of a host before the next host), STARTTLS whenever offered, required under a TLS policy.</summary>
/// <remarks>
/// <para>Certificate policy (RFC 7435 opportunistic security): for ordinary domains any certificate is accepted, since
/// the alternative is plaintext, which is no better; MX host names from unsigned DNS cannot be authenticated anyway.
/// Under a policy (a domain in <c>Relay:RequireTlsDomains</c>, an MTA-STS policy in enforce mode, a REQUIRETLS message,
/// a smarthost with credentials) STARTTLS is required and the certificate must be valid for the host name (system trust
/// store, revocation checked); otherwise the host is skipped and the reason kept: STARTTLS not offered, handshake error,
/// certificate name mismatch, untrusted certificate, MX host not in the MTA-STS policy.</para>
/// </remarks>
internal sealed class SmtpConnector(TernOptions options, MxResolver resolver, TlsTrust trust, ILogger<SmtpConnector> logger)
{
    readonly RelayOptions relay = options.Relay;

    public sealed record ConnectResult(RemoteConnection? Connection, RouteFailure? Failure);

    public bool UsesSmarthost => !string.IsNullOrWhiteSpace(relay.Smarthost);

    /// <summary>The requirement for one message to <paramref name="domain"/>.</summary>
    /// <param name="requireTls">RFC 8689: the message carries REQUIRETLS.</param>
    /// <param name="tlsRequiredNo">RFC 8689 5: the message has <c>TLS-Required: No</c>: recipient-side policies (MTA-STS)
    /// are ignored for it. REQUIRETLS wins over the header (RFC 8689 5). <c>Relay:RequireTlsDomains</c> is this server's
    /// own configuration, not a recipient policy, and still applies.</param>
    public TlsRequirement RequirementFor(string domain, MtaStsPolicy? policy, bool requireTls, bool tlsRequiredNo)
    {
        bool configured = relay.RequireTlsDomains.Any(d => string.Equals(d.Trim().TrimEnd('.'), domain, StringComparison.OrdinalIgnoreCase));
        if (tlsRequiredNo && !requireTls)
            policy = null;
        if (policy?.Mode == MtaStsMode.None)
            policy = null;
        bool enforce = policy?.Mode == MtaStsMode.Enforce;
        var why = requireTls ? "REQUIRETLS (RFC 8689)"
            : enforce ? $"the MTA-STS policy of {domain} (RFC 8461)"
            : configured ? "Relay:RequireTlsDomains"
            : null;
        return new TlsRequirement(requireTls || enforce || configured, why, policy, requireTls);
    }

    /// <summary>The smarthost when one is configured, else the domain's MX hosts.</summary>
    public async Task<MxRoute> RouteAsync(string domain, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(relay.Smarthost))
            return new MxRoute([new MxHost(ParseSmarthost(relay.Smarthost, relay.Port).Host, 0)], true, null);
        var route = await resolver.ResolveAsync(domain, cancellationToken).ConfigureAwait(false);
        if (route.Failure is { } failure)
            RelayLog.RouteFailed(logger, domain, failure.Reason);
        return route;
    }

    /// <summary>"host", "host:port", "[v6]:port"; <paramref name="defaultPort"/> when no port is given.</summary>
    public static (string Host, int Port) ParseSmarthost(string text, int defaultPort)
    {
        text = text.Trim();
        if (IPEndPoint.TryParse(text, out var endPoint) && (text.Contains(']', StringComparison.Ordinal) || text.Count(c => c == ':') == 1))
            return (endPoint.Address.ToString(), endPoint.Port == 0 ? defaultPort : endPoint.Port);
        int colon = text.LastIndexOf(':');
        if (colon > 0 && text.IndexOf(':', StringComparison.Ordinal) == colon
            && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
            return (text[..colon], port);
        return (text, defaultPort);
    }

    /// <summary>Tries the route's hosts in order and every address of each; the first session that passes the
    /// greeting, EHLO, the TLS policy and (for a smarthost) AUTH is returned.</summary>
    public async Task<ConnectResult> ConnectAsync(string domain, MxRoute route, TlsRequirement requirement, CancellationToken cancellationToken)
    {
        bool smarthost = !string.IsNullOrWhiteSpace(relay.Smarthost);
        int port = smarthost ? ParseSmarthost(relay.Smarthost!, relay.Port).Port : relay.Port;
        var errors = new List<string>();
        bool allPermanent = true;
        string? permanentStatus = null;
        foreach (var host in route.Hosts)
        {
            // RFC 8461 4.1: under an enforced policy only MX hosts matching its mx patterns may be used.
            if (requirement.Policy is { } policy && !smarthost && !policy.Matches(host.Name))
            {
                var mismatch = $"{host.Name} is not an MX host allowed by the MTA-STS policy of {domain} (mx: {string.Join(", ", policy.MxPatterns)})";
                if (requirement.EnforcesPolicy)
                {
                    errors.Add(mismatch);
                    allPermanent = false;
                    RelayLog.RouteFailed(logger, domain, mismatch);
                    continue;
                }
                MtaStsLog.TestingViolation(logger, domain, host.Name, mismatch);
            }
            var addresses = await resolver.ResolveAddressesAsync(host.Name, cancellationToken).ConfigureAwait(false);
            if (addresses.Addresses.Count == 0)
            {
                // RFC 5321 5.1: an MX host without address is skipped; the message waits (DNS may recover).
                errors.Add(addresses.Error ?? $"{host.Name} has no address");
                RelayLog.RouteFailed(logger, domain, addresses.Error ?? host.Name);
                allPermanent = false;
                continue;
            }
            foreach (var address in addresses.Addresses)
            {
                var (connection, error, permanent, status) = await TryConnectAsync(domain, host.Name, address, port, smarthost, requirement, cancellationToken).ConfigureAwait(false);
                if (connection is not null)
                    return new ConnectResult(connection, null);
                errors.Add($"{host.Name} [{address}]: {error}");
                if (permanent)
                    permanentStatus ??= status;
                else
                    allPermanent = false;
            }
        }
        if (errors.Count == 0)
            return new ConnectResult(null, new RouteFailure(false, "4.4.4", $"no host to try for {domain}"));
        // Only when every host refused us with 5xx is it final (RFC 5321 3.1: 554 greeting means no service).
        return allPermanent
            ? new ConnectResult(null, new RouteFailure(true, permanentStatus ?? "5.0.0", string.Join("; ", errors)))
            : new ConnectResult(null, new RouteFailure(false, "4.4.1", string.Join("; ", errors)));
    }

    async Task<(RemoteConnection? Connection, string? Error, bool Permanent, string? Status)> TryConnectAsync(
        string domain, string host, IPAddress address, int port, bool smarthost, TlsRequirement requirement, CancellationToken cancellationToken)
    {
        RelayLog.Connecting(logger, host, address.ToString(), port, domain);
        bool hasCredentials = smarthost && !string.IsNullOrEmpty(relay.SmarthostUser);
        bool requireTls = hasCredentials || requirement.VerifiedTls;
        var why = requirement.Why ?? (hasCredentials ? "the smarthost login" : "a TLS policy");
        var targetHost = host.Trim('[', ']');
        CertificateVerdict? verdict = null;
        var client = new RelaySmtpClient(options.Log.SessionLog ? new RelayProtocolLogger(logger, host) : new NullProtocolLogger())
        {
            LocalDomain = options.HostName,
            Timeout = checked(relay.CommandTimeoutSeconds * 1000),
            CheckCertificateRevocation = requireTls,
            // Every certificate is judged, so that a policy in testing mode can log what enforce mode would refuse;
            // it is refused only when a policy requires verified TLS.
            ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                verdict = trust.Evaluate(certificate, chain, errors, targetHost);
                return !requireTls || verdict.Valid;
            },
        };
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(relay.ConnectTimeoutSeconds));
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, port), connectTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"TCP connect timed out after {relay.ConnectTimeoutSeconds} s"));
                }
            }
            var tls = smarthost && port == 465 ? SecureSocketOptions.SslOnConnect
                : requireTls ? SecureSocketOptions.StartTls
                : SecureSocketOptions.StartTlsWhenAvailable;
            // RFC 5321 4.5.3.2.1/4.5.3.2.2: 5 minutes for the greeting, and for each reply (EHLO, STARTTLS).
            using (var stage = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                stage.CancelAfter(TimeSpan.FromSeconds(relay.CommandTimeoutSeconds * 3));
                await client.ConnectAsync(socket, targetHost, port, tls, stage.Token).ConfigureAwait(false);
                if (hasCredentials)
                    await client.AuthenticateAsync(new NetworkCredential(relay.SmarthostUser, relay.SmarthostPassword), stage.Token).ConfigureAwait(false);
            }
            bool verified = client.IsSecure && verdict?.Valid == true;
            if (requirement.Policy is { Mode: MtaStsMode.Testing } && !verified)
                MtaStsLog.TestingViolation(logger, domain, host, client.IsSecure ? verdict?.Problem ?? "certificate not verified" : "STARTTLS not offered");
            // RFC 8689 4.2.1: a REQUIRETLS message goes only to a server that offers REQUIRETLS itself.
            if (requirement.RequireTlsExtension && (client.Capabilities & SmtpCapabilities.RequireTLS) == 0)
            {
                var error = $"{host} does not offer REQUIRETLS, which the message requires (RFC 8689 4.2.1)";
                RelayLog.ConnectFailed(logger, host, address.ToString(), port, domain, error);
                await QuitQuietlyAsync(client).ConfigureAwait(false);
                return (null, error, true, "5.7.30");
            }
            RelayLog.Connected(logger, host, address.ToString(), port, client.IsSecure ? $" with {client.SslProtocol}{(verified ? ", certificate verified" : "")}" : " without TLS", client.Capabilities.ToString());
            return (new RemoteConnection(client, host, address, relay, logger) { Verified = verified }, null, false, null);
        }
        catch (Exception ex) when (IsPeerFailure(ex, cancellationToken) || ex is SocketException or NotSupportedException)
        {
            socket.Dispose();
            client.Dispose();
            bool noStartTls = ex is NotSupportedException && requireTls;
            var error = noStartTls
                ? $"STARTTLS is required for {domain} by {why} but {host} does not offer it"
                : IsTlsFailure(ex) ? (verdict is { Valid: false, Problem: { } problem } ? "TLS: " + problem : $"TLS handshake with {host} failed: {Innermost(ex)}")
                : Describe(ex, relay.CommandTimeoutSeconds);
            RelayLog.ConnectFailed(logger, host, address.ToString(), port, domain, error);
            // RFC 8689 4.2.1: a REQUIRETLS message cannot go to a host without TLS: returned with 5.7.30.
            if (noStartTls && requirement.RequireTlsExtension)
                return (null, error, true, "5.7.30");
            if (ex is SmtpCommandException command && (int)command.StatusCode is >= 500 and < 600)
                return (null, error, true, SmtpStatus.EnhancedOf((int)command.StatusCode, command.Message));
            return (null, error, false, null);
        }
    }

    static async Task QuitQuietlyAsync(SmtpClient client)
    {
        using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await client.DisconnectAsync(true, quit.Token).ConfigureAwait(false); }
        catch (Exception ex) when (IsPeerFailure(ex, CancellationToken.None)) { }
        client.Dispose();
    }

    static bool IsTlsFailure(Exception ex) =>
        ex is SslHandshakeException or System.Security.Authentication.AuthenticationException
        || ex.InnerException is System.Security.Authentication.AuthenticationException;

    static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
            ex = ex.InnerException;
        return ex.Message.Split('\n')[0].Trim();
    }

    /// <summary>What the peer or the network can do to us: never a reason to crash, always a reason to defer.</summary>
    public static bool IsPeerFailure(Exception ex, CancellationToken shutdown) => ex switch
    {
        OperationCanceledException => !shutdown.IsCancellationRequested,
        SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or SslHandshakeException
            or MailKit.Security.AuthenticationException or ServiceNotAuthenticatedException => true,
        IOException or SocketException or TimeoutException or ObjectDisposedException => true,
        System.Security.Authentication.AuthenticationException => true,
        _ => false,
    };

    /// <summary>One line for the log, the .env reason and the DSN.</summary>
    public static string Describe(Exception ex, int timeoutSeconds) => ex switch
    {
        SmtpCommandException command => SmtpStatus.Format((int)command.StatusCode, command.Message),
        OperationCanceledException or TimeoutException when ex.Message.Contains("TCP connect", StringComparison.Ordinal) => ex.Message,
        OperationCanceledException or TimeoutException => string.Create(CultureInfo.InvariantCulture, $"no answer within {timeoutSeconds} s (RFC 5321 4.5.3.2)"),
        IOException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } } => string.Create(CultureInfo.InvariantCulture, $"no answer within {timeoutSeconds} s (RFC 5321 4.5.3.2)"),
        SmtpProtocolException => "protocol error: " + ex.Message,
        _ => ex.Message,
    };
}

/// <summary>MailKit's protocol log into the session log (Debug level), one line per command or reply.</summary>
internal sealed class RelayProtocolLogger(ILogger logger, string host) : IProtocolLogger
{
    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    public void LogConnect(Uri uri) => RelayLog.Protocol(logger, host, "connect", uri.ToString());

    public void LogClient(byte[] buffer, int offset, int count)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
            return;
        // AUTH exchanges are redacted, as in the server's session log.
        var secrets = AuthenticationSecretDetector?.DetectSecrets(buffer, offset, count);
        var text = secrets is { Count: > 0 } ? "<authentication data>" : System.Text.Encoding.UTF8.GetString(buffer, offset, Math.Min(count, 512));
        foreach (var line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            RelayLog.Protocol(logger, host, "C:", line);
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
            return;
        foreach (var line in System.Text.Encoding.UTF8.GetString(buffer, offset, Math.Min(count, 2048)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            RelayLog.Protocol(logger, host, "S:", line);
    }

    public void Dispose() { }
}

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

/// <summary>Finds the route of a domain and opens an SMTP session to the first host that answers: RFC 5321 5.1
/// (every address of a host before the next host), STARTTLS whenever offered, required for <c>RequireTlsDomains</c>.</summary>
/// <remarks>
/// <para>Certificate policy (RFC 7435 opportunistic security): for ordinary domains any certificate is accepted, since
/// the alternative is plaintext, which is no better; MX host names from unsigned DNS cannot be authenticated anyway.
/// For a domain in <c>Relay:RequireTlsDomains</c>, and for a smarthost with credentials, STARTTLS is required and the
/// certificate must be valid for the host name (system trust store, revocation checked); otherwise the host is skipped
/// and the message deferred.</para>
/// </remarks>
internal sealed class SmtpConnector(TernOptions options, MxResolver resolver, ILogger<SmtpConnector> logger)
{
    readonly RelayOptions relay = options.Relay;

    public sealed record ConnectResult(RemoteConnection? Connection, RouteFailure? Failure);

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
    public async Task<ConnectResult> ConnectAsync(string domain, MxRoute route, CancellationToken cancellationToken)
    {
        bool smarthost = !string.IsNullOrWhiteSpace(relay.Smarthost);
        int port = smarthost ? ParseSmarthost(relay.Smarthost!, relay.Port).Port : relay.Port;
        var errors = new List<string>();
        bool allPermanent = true;
        string? permanentStatus = null;
        foreach (var host in route.Hosts)
        {
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
                var (connection, error, permanent, status) = await TryConnectAsync(domain, host.Name, address, port, smarthost, cancellationToken).ConfigureAwait(false);
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
        string domain, string host, IPAddress address, int port, bool smarthost, CancellationToken cancellationToken)
    {
        RelayLog.Connecting(logger, host, address.ToString(), port, domain);
        bool hasCredentials = smarthost && !string.IsNullOrEmpty(relay.SmarthostUser);
        bool requireTls = hasCredentials || relay.RequireTlsDomains.Any(d => string.Equals(d.Trim().TrimEnd('.'), domain, StringComparison.OrdinalIgnoreCase));
        var client = new RelaySmtpClient(options.Log.SessionLog ? new RelayProtocolLogger(logger, host) : new NullProtocolLogger())
        {
            LocalDomain = options.HostName,
            Timeout = checked(relay.CommandTimeoutSeconds * 1000),
            CheckCertificateRevocation = requireTls,
            ServerCertificateValidationCallback = requireTls
                ? (_, _, _, errors) => errors == SslPolicyErrors.None
                : (_, _, _, _) => true,
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
                await client.ConnectAsync(socket, host.Trim('[', ']'), port, tls, stage.Token).ConfigureAwait(false);
                if (hasCredentials)
                    await client.AuthenticateAsync(new NetworkCredential(relay.SmarthostUser, relay.SmarthostPassword), stage.Token).ConfigureAwait(false);
            }
            RelayLog.Connected(logger, host, address.ToString(), port, client.IsSecure ? $" with {client.SslProtocol}" : " without TLS", client.Capabilities.ToString());
            return (new RemoteConnection(client, host, address, relay, logger), null, false, null);
        }
        catch (Exception ex) when (IsPeerFailure(ex, cancellationToken) || ex is SocketException or NotSupportedException)
        {
            socket.Dispose();
            client.Dispose();
            var error = ex is NotSupportedException && requireTls
                ? $"STARTTLS is required for {domain} but {host} does not offer it"
                : Describe(ex, relay.CommandTimeoutSeconds);
            RelayLog.ConnectFailed(logger, host, address.ToString(), port, domain, error);
            if (ex is SmtpCommandException command && (int)command.StatusCode is >= 500 and < 600)
                return (null, error, true, SmtpStatus.EnhancedOf((int)command.StatusCode, command.Message));
            return (null, error, false, null);
        }
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

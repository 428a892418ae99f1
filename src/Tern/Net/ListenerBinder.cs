using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Net;

/// <summary>A listener as bound; <see cref="EndPoint"/> holds the real port once the server has started
/// (tests listen on port 0).</summary>
public sealed class BoundListener(string role, string protocol, bool implicitTls, ListenOptions listenOptions)
{
    public string Role { get; } = role;
    public string Protocol { get; } = protocol;
    public bool ImplicitTls { get; } = implicitTls;
    public IPEndPoint EndPoint => listenOptions.IPEndPoint ?? throw new InvalidOperationException("not an IP listener");
}

/// <summary>Every mail listener of this process, for logs, tests and the CLI.</summary>
public sealed class ListenerRegistry
{
    readonly List<BoundListener> listeners = [];
    public IReadOnlyList<BoundListener> Listeners => listeners;
    internal void Add(BoundListener listener) => listeners.Add(listener);

    /// <summary>The port of the first listener of a role ("smtp-mx", "imaps"...).</summary>
    public int PortOf(string role) => listeners.First(l => l.Role == role).EndPoint.Port;
}

/// <summary>A listener that cannot be bound: the message names the role, the address and the setting to change.</summary>
public sealed class ListenerBindException(string message) : Exception(message);

/// <summary>Turns the protocols' listener definitions into Kestrel endpoints.</summary>
public static class ListenerBinder
{
    public static void Bind(
        KestrelServerOptions kestrel, IEnumerable<IMailProtocol> protocols, TernOptions options,
        IConfiguration configuration, MailConnectionHandler handler, ITlsServerOptionsProvider tls,
        ListenerRegistry registry, ILogger logger)
    {
        foreach (var protocol in protocols)
        {
            foreach (var definition in protocol.GetListeners(options))
            {
                bool defaulted = !configuration.GetSection(definition.ConfigKey).Exists();
                foreach (var address in definition.Listen)
                {
                    var endPoint = ParseEndPoint(address, definition.ConfigKey);
                    endPoint = CheckBindable(endPoint, definition, defaulted, logger);
                    kestrel.Listen(endPoint, listen =>
                    {
                        if (definition.ImplicitTls)
                        {
                            listen.UseHttps(new TlsHandshakeCallbackOptions
                            {
                                OnConnection = _ => ValueTask.FromResult(tls.GetServerOptions()),
                                HandshakeTimeout = TimeSpan.FromSeconds(30),
                            });
                        }
                        listen.Run(context => handler.HandleAsync(context, protocol, definition));
                        registry.Add(new BoundListener(definition.Role, protocol.Name, definition.ImplicitTls, listen));
                    });
                }
            }
        }
    }

    /// <summary>"*:25" (every address), "0.0.0.0:25", "[::1]:993", "localhost:143".</summary>
    public static IPEndPoint ParseEndPoint(string text, string configKey)
    {
        var value = text.Trim();
        int colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value.AsSpan(colon + 1), out int port) && port is >= 0 and <= 65535)
        {
            var host = value[..colon];
            if (host is "*" or "+")
                return new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, port);
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                return new IPEndPoint(IPAddress.Loopback, port);
        }
        if (IPEndPoint.TryParse(value, out var endPoint) && value.Contains(':') && endPoint.Port is >= 0 and <= 65535)
            return endPoint;
        throw new ListenerBindException($"{configKey}: '{text}' is not an address:port such as *:25, 127.0.0.1:2525 or [::1]:993");
    }

    /// <summary>Binds a probe socket first so that a failure names the listener and its setting. A default port
    /// that this user may not bind (below 1024 without root) moves to 10000 + port, and the log says so.</summary>
    static IPEndPoint CheckBindable(IPEndPoint endPoint, MailListenerDefinition definition, bool defaulted, ILogger logger)
    {
        if (endPoint.Port == 0)
            return endPoint;
        var error = Probe(endPoint);
        if (error is null)
            return endPoint;
        if (error == SocketError.AccessDenied && defaulted && endPoint.Port < 1024)
        {
            var fallback = new IPEndPoint(endPoint.Address, 10000 + endPoint.Port);
            if (Probe(fallback) is null)
            {
                NetLog.PortFallback(logger, definition.Role, endPoint.Port, "permission denied", fallback.Port, definition.ConfigKey);
                return fallback;
            }
        }
        string why = error switch
        {
            SocketError.AddressAlreadyInUse => "address already in use",
            SocketError.AccessDenied => "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
            SocketError.AddressNotAvailable => "no such local address",
            _ => error.ToString()!,
        };
        throw new ListenerBindException(
            $"{definition.Role}: cannot listen on {endPoint}: {why}. Change {definition.ConfigKey} (or disable the listener).");
    }

    static SocketError? Probe(IPEndPoint endPoint)
    {
        try
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            socket.Bind(endPoint);
            return null;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }
}

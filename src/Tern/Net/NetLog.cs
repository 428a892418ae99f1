using System.Net;
using Microsoft.Extensions.Logging;

namespace Tern.Net;

/// <summary>Typed log events of the connection layer (event ids 1000-1099).</summary>
static partial class NetLog
{
    [LoggerMessage(1000, LogLevel.Information, "{ConnectionId} {Remote} C: {Line}")]
    public static partial void Command(ILogger logger, string connectionId, IPEndPoint? remote, string line);

    [LoggerMessage(1001, LogLevel.Information, "{ConnectionId} {Remote} S: {Line}")]
    public static partial void Reply(ILogger logger, string connectionId, IPEndPoint? remote, string line);

    [LoggerMessage(1002, LogLevel.Information, "{ConnectionId} {Remote} connected to {Role} on {Local}")]
    public static partial void Connected(ILogger logger, string connectionId, IPEndPoint? remote, string role, IPEndPoint? local);

    [LoggerMessage(1003, LogLevel.Information, "{ConnectionId} {Remote} disconnected")]
    public static partial void Disconnected(ILogger logger, string connectionId, IPEndPoint? remote);

    [LoggerMessage(1004, LogLevel.Warning, "{ConnectionId} {Remote} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string connectionId, IPEndPoint? remote, string reason);

    [LoggerMessage(1005, LogLevel.Warning, "{ConnectionId} {Remote} discarded {Count} octets sent before the TLS handshake")]
    public static partial void PlaintextDiscarded(ILogger logger, string connectionId, IPEndPoint? remote, long count);

    [LoggerMessage(1006, LogLevel.Information, "{ConnectionId} TLS started: {Tls}")]
    public static partial void TlsStarted(ILogger logger, string connectionId, string tls);

    [LoggerMessage(1007, LogLevel.Information, "{ConnectionId} {Remote} TLS handshake failed: {Reason}")]
    public static partial void TlsHandshakeFailed(ILogger logger, string connectionId, IPEndPoint? remote, string reason);

    [LoggerMessage(1008, LogLevel.Error, "{ConnectionId} {Remote} session fault")]
    public static partial void SessionFault(ILogger logger, Exception exception, string connectionId, IPEndPoint? remote);

    [LoggerMessage(1009, LogLevel.Information, "{Role} listening on {EndPoint}{Tls}")]
    public static partial void Listening(ILogger logger, string role, string endPoint, string tls);

    [LoggerMessage(1010, LogLevel.Warning, "{Role}: may not bind port {Port} ({Reason}); listening on port {Fallback} instead. Set {ConfigKey} to choose the address.")]
    public static partial void PortFallback(ILogger logger, string role, int port, string reason, int fallback, string configKey);
}

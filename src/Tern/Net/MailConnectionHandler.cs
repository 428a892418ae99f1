using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Net;

/// <summary>Runs on every accepted mail connection: applies the connection limits, wraps the connection for the
/// protocol and runs its session, logging faults in one place.</summary>
public sealed class MailConnectionHandler(
    TernOptions options, ConnectionLimiter limiter, ITlsServerOptionsProvider tls, ILoggerFactory loggerFactory)
{
    public async Task HandleAsync(ConnectionContext context, IMailProtocol protocol, MailListenerDefinition listener)
    {
        var logger = loggerFactory.CreateLogger("Tern." + protocol.Name);
        var remote = context.RemoteEndPoint as System.Net.IPEndPoint;
        using var lease = limiter.TryAcquire(remote?.Address, out var reason);
        if (lease is null)
        {
            NetLog.Refused(logger, context.ConnectionId, remote, reason ?? "limit");
            try
            {
                await context.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(protocol.TooBusyReply(options.HostName) + "\r\n"));
            }
            catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException) { }
            return;
        }

        NetLog.Connected(logger, context.ConnectionId, remote, listener.Role, context.LocalEndPoint as System.Net.IPEndPoint);
        var connection = new MailConnection(context, listener, protocol.IdleTimeout, tls, logger, options.Log.SessionLog, options.HostName);
        try
        {
            await protocol.RunSessionAsync(connection, context.ConnectionClosed);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or OperationCanceledException)
        {
            // The client went away or the server is stopping: nothing to report beyond the disconnect.
        }
        catch (Exception ex)
        {
            NetLog.SessionFault(logger, ex, context.ConnectionId, remote);
        }
        finally
        {
            await connection.DisposeAsync();
            NetLog.Disconnected(logger, context.ConnectionId, remote);
        }
    }
}

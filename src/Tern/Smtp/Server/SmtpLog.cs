using System.Net;
using Microsoft.Extensions.Logging;

namespace Tern.Smtp.Server;

/// <summary>Typed log events of the SMTP server (event ids 5000-5099).</summary>
static partial class SmtpLog
{
    [LoggerMessage(5000, LogLevel.Information, "{ConnectionId} {Remote} accepted {QueueId} from <{Sender}> for {Recipients} recipient(s), {Size} octets")]
    public static partial void Accepted(ILogger logger, string connectionId, IPEndPoint? remote, string queueId, string sender, int recipients, long size);

    [LoggerMessage(5001, LogLevel.Information, "{ConnectionId} {Remote} message refused: {Reply}")]
    public static partial void MessageRefused(ILogger logger, string connectionId, IPEndPoint? remote, string reply);

    [LoggerMessage(5002, LogLevel.Information, "{ConnectionId} {Remote} client disconnected mid-message; nothing queued")]
    public static partial void DisconnectedMidData(ILogger logger, string connectionId, IPEndPoint? remote);

    [LoggerMessage(5003, LogLevel.Information, "{ConnectionId} {Remote} authenticated as {User}")]
    public static partial void Authenticated(ILogger logger, string connectionId, IPEndPoint? remote, string user);

    [LoggerMessage(5004, LogLevel.Warning, "{ConnectionId} {Remote} authentication failed ({Outcome})")]
    public static partial void AuthenticationFailed(ILogger logger, string connectionId, IPEndPoint? remote, string outcome);

    [LoggerMessage(5005, LogLevel.Warning, "{ConnectionId} {Remote} relaying denied to <{Recipient}>")]
    public static partial void RelayDenied(ILogger logger, string connectionId, IPEndPoint? remote, string recipient);

    [LoggerMessage(5006, LogLevel.Warning, "{ConnectionId} {Remote} closed: {Reason}")]
    public static partial void Closed(ILogger logger, string connectionId, IPEndPoint? remote, string reason);

    [LoggerMessage(5007, LogLevel.Warning, "{ConnectionId} {Remote} {User} may not send as <{Address}>")]
    public static partial void SenderRefused(ILogger logger, string connectionId, IPEndPoint? remote, string user, string address);

    [LoggerMessage(5008, LogLevel.Error, "{ConnectionId} {Remote} queue write failed")]
    public static partial void QueueFailed(ILogger logger, Exception exception, string connectionId, IPEndPoint? remote);

    [LoggerMessage(5009, LogLevel.Information, "{ConnectionId} {Remote} unknown recipient <{Recipient}> ({Count} in this session)")]
    public static partial void UnknownRecipient(ILogger logger, string connectionId, IPEndPoint? remote, string recipient, int count);

    [LoggerMessage(5020, LogLevel.Warning, "{ConnectionId} {Remote} DKIM signing for {Domain} failed; the message goes out unsigned")]
    public static partial void SigningFailed(ILogger logger, Exception exception, string connectionId, IPEndPoint? remote, string domain);
}

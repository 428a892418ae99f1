using System.Net;
using Microsoft.Extensions.Logging;

namespace Tern.Pop3.Server;

/// <summary>Typed log events of the POP3 server (event ids 3000-3099).</summary>
static partial class Pop3Log
{
    [LoggerMessage(3000, LogLevel.Information, "{ConnectionId} {Remote} logged in as {User} with {Method}; maildrop has {Messages} messages ({Octets} octets)")]
    public static partial void LoggedIn(ILogger logger, string connectionId, IPEndPoint? remote, string user, string method, int messages, long octets);

    [LoggerMessage(3001, LogLevel.Warning, "{ConnectionId} {Remote} login failed for {User}: {Outcome}")]
    public static partial void LoginFailed(ILogger logger, string connectionId, IPEndPoint? remote, string user, string outcome);

    [LoggerMessage(3002, LogLevel.Information, "{ConnectionId} {Remote} maildrop of {User} is in use by another session")]
    public static partial void MaildropInUse(ILogger logger, string connectionId, IPEndPoint? remote, string user);

    [LoggerMessage(3003, LogLevel.Information, "{ConnectionId} {User} QUIT: removed {Removed} messages, {Left} left")]
    public static partial void Updated(ILogger logger, string connectionId, string user, int removed, int left);

    [LoggerMessage(3004, LogLevel.Error, "{ConnectionId} {User} UPDATE failed: messages marked for deletion were kept")]
    public static partial void UpdateFailed(ILogger logger, Exception exception, string connectionId, string? user);

    [LoggerMessage(3005, LogLevel.Error, "{ConnectionId} {Command} failed in the store")]
    public static partial void StoreFault(ILogger logger, Exception exception, string connectionId, string command);

    [LoggerMessage(3006, LogLevel.Warning, "{ConnectionId} could not mark retrieved messages as seen")]
    public static partial void SeenFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(3007, LogLevel.Error, "{ConnectionId} reading UID {Uid} failed after the response started; closing the connection")]
    public static partial void MessageReadFailed(ILogger logger, Exception exception, string connectionId, long uid);

    [LoggerMessage(3008, LogLevel.Warning, "{ConnectionId} {Remote} closed after {Errors} errors")]
    public static partial void TooManyErrors(ILogger logger, string connectionId, IPEndPoint? remote, int errors);

    [LoggerMessage(3009, LogLevel.Information, "{ConnectionId} {User} disconnected without QUIT: no message deleted")]
    public static partial void DroppedWithoutUpdate(ILogger logger, string connectionId, string user);
}

using Microsoft.Extensions.Logging;

namespace Tern.Imap.Server;

/// <summary>Typed log events of the IMAP server (event ids 7000-7099).</summary>
static partial class ImapLog
{
    [LoggerMessage(7000, LogLevel.Information, "{ConnectionId} IMAP login of {User} ({Mechanism})")]
    public static partial void LoggedIn(ILogger logger, string connectionId, string user, string mechanism);

    [LoggerMessage(7001, LogLevel.Warning, "{ConnectionId} IMAP login failed for {User}: {Outcome}")]
    public static partial void LoginFailed(ILogger logger, string connectionId, string user, string outcome);

    [LoggerMessage(7002, LogLevel.Debug, "{ConnectionId} IMAP {Command} refused: {Reason}")]
    public static partial void CommandRefused(ILogger logger, string connectionId, string command, string reason);

    [LoggerMessage(7003, LogLevel.Warning, "{ConnectionId} IMAP {Command} failed in the store: {Error} {Message}")]
    public static partial void StoreError(ILogger logger, string connectionId, string command, string error, string message);

    [LoggerMessage(7004, LogLevel.Warning, "{ConnectionId} IMAP literal of {Size} octets refused (limit {Limit})")]
    public static partial void LiteralTooLarge(ILogger logger, string connectionId, long size, long limit);

    [LoggerMessage(7005, LogLevel.Warning, "{ConnectionId} IMAP session closed after {Errors} errors")]
    public static partial void TooManyErrors(ILogger logger, string connectionId, int errors);

    [LoggerMessage(7006, LogLevel.Information, "{ConnectionId} IMAP autologout after {Minutes} idle minutes")]
    public static partial void Autologout(ILogger logger, string connectionId, double minutes);

    [LoggerMessage(7007, LogLevel.Error, "{ConnectionId} IMAP {Command} failed")]
    public static partial void CommandFault(ILogger logger, Exception exception, string connectionId, string command);

    [LoggerMessage(7008, LogLevel.Warning, "{ConnectionId} IMAP NOTIFY overflowed ({Limit} events waiting); notifications stopped")]
    public static partial void NotifyOverflow(ILogger logger, string connectionId, int limit);
}

using Microsoft.Extensions.Logging;

namespace Tern.Delivery.Remote;

/// <summary>Typed log events of the relay (event ids 2300-2349).</summary>
static partial class RelayLog
{
    [LoggerMessage(2300, LogLevel.Information, "relay started: every {Interval} s, {Max} deliveries at once, {PerDomain} per domain, port {Port}{Smarthost}")]
    public static partial void Started(ILogger logger, int interval, int max, int perDomain, int port, string smarthost);

    [LoggerMessage(2315, LogLevel.Information, "relay disabled (Relay:Enabled is false): mail for other domains stays queued")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(2301, LogLevel.Information, "{QueueId} to <{Recipient}> delivered via {Host}: {Reply}")]
    public static partial void Delivered(ILogger logger, string queueId, string recipient, string host, string reply);

    [LoggerMessage(2302, LogLevel.Warning, "{QueueId} to <{Recipient}> deferred (attempt {Attempts}, next at {NextAttempt:u}): {Reason}")]
    public static partial void Deferred(ILogger logger, string queueId, string recipient, int attempts, DateTimeOffset nextAttempt, string reason);

    [LoggerMessage(2303, LogLevel.Warning, "{QueueId} to <{Recipient}> failed for good ({Status}): {Reason}")]
    public static partial void Failed(ILogger logger, string queueId, string recipient, string status, string reason);

    [LoggerMessage(2304, LogLevel.Warning, "route to {Domain}: {Reason}")]
    public static partial void RouteFailed(ILogger logger, string domain, string reason);

    [LoggerMessage(2305, LogLevel.Information, "connecting to {Host} [{Address}]:{Port} for {Domain}")]
    public static partial void Connecting(ILogger logger, string host, string address, int port, string domain);

    [LoggerMessage(2306, LogLevel.Warning, "{Host} [{Address}]:{Port} for {Domain}: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string host, string address, int port, string domain, string reason);

    [LoggerMessage(2307, LogLevel.Information, "connected to {Host} [{Address}]:{Port}{Tls}; capabilities {Capabilities}")]
    public static partial void Connected(ILogger logger, string host, string address, int port, string tls, string capabilities);

    [LoggerMessage(2308, LogLevel.Warning, "{QueueId} via {Host}: connection lost during the transaction: {Reason}")]
    public static partial void TransactionBroken(ILogger logger, string queueId, string host, string reason);

    [LoggerMessage(2309, LogLevel.Error, "relay scan failed")]
    public static partial void ScanFailed(ILogger logger, Exception exception);

    [LoggerMessage(2310, LogLevel.Error, "{QueueId}: relay delivery failed unexpectedly; it stays queued")]
    public static partial void DeliveryCrashed(ILogger logger, Exception exception, string queueId);

    [LoggerMessage(2311, LogLevel.Debug, "{Host}: {Direction} {Line}")]
    public static partial void Protocol(ILogger logger, string host, string direction, string line);

    [LoggerMessage(2312, LogLevel.Warning, "{QueueId}: unreadable message, skipped: {Reason}")]
    public static partial void UnreadableMessage(ILogger logger, string queueId, string reason);

    [LoggerMessage(2313, LogLevel.Information, "{QueueId} retry requested: every deferred recipient is due now")]
    public static partial void RetryRequested(ILogger logger, string queueId);

    [LoggerMessage(2314, LogLevel.Warning, "{QueueId}: could not finish the entry: {Reason}")]
    public static partial void FinishFailed(ILogger logger, string queueId, string reason);
}

using Microsoft.Extensions.Logging;

namespace Tern.Delivery.Local;

/// <summary>Typed log events of local delivery (event ids 5150-5199).</summary>
static partial class LocalDeliveryLog
{
    [LoggerMessage(5150, LogLevel.Information, "{QueueId} delivered to <{Recipient}> (account {AccountId}, {Address}) uid {Uid}")]
    public static partial void Delivered(ILogger logger, string queueId, string recipient, long accountId, string address, long uid);

    [LoggerMessage(5151, LogLevel.Warning, "{QueueId} deferred for <{Recipient}>: {Reason}")]
    public static partial void Deferred(ILogger logger, string queueId, string recipient, string reason);

    [LoggerMessage(5152, LogLevel.Warning, "{QueueId} failed for <{Recipient}>: {Reason}")]
    public static partial void Failed(ILogger logger, string queueId, string recipient, string reason);

    [LoggerMessage(5153, LogLevel.Information, "{QueueId}: alias <{Recipient}> forwards to <{Target}>, left for the relay")]
    public static partial void Forwarded(ILogger logger, string queueId, string recipient, string target);

    [LoggerMessage(5154, LogLevel.Error, "{QueueId}: local delivery pass failed")]
    public static partial void PassFailed(ILogger logger, Exception exception, string queueId);
}

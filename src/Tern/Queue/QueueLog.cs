using Microsoft.Extensions.Logging;

namespace Tern.Queue;

/// <summary>Typed log events of the queue (event ids 5100-5149).</summary>
static partial class QueueLog
{
    [LoggerMessage(5100, LogLevel.Information, "queued {QueueId}: {Size} octets from <{Sender}> to {Recipients} recipient(s)")]
    public static partial void Enqueued(ILogger logger, string queueId, long size, string sender, int recipients);

    [LoggerMessage(5101, LogLevel.Information, "{QueueId} removed from the queue: every recipient done")]
    public static partial void Completed(ILogger logger, string queueId);

    [LoggerMessage(5102, LogLevel.Warning, "{QueueId} moved to the bad folder: {Reason}")]
    public static partial void MovedToBad(ILogger logger, string queueId, string reason);

    [LoggerMessage(5103, LogLevel.Warning, "queue recovery: removed {File} left by an interrupted write")]
    public static partial void RemovedLeftover(ILogger logger, string file);

    [LoggerMessage(5104, LogLevel.Error, "{QueueId}: unreadable envelope: {Reason}")]
    public static partial void BadEnvelope(ILogger logger, string queueId, string reason);

    [LoggerMessage(5105, LogLevel.Error, "queue subscriber failed on {QueueId}")]
    public static partial void SubscriberFailed(ILogger logger, Exception exception, string queueId);
}

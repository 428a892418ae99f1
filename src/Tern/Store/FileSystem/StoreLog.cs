using Microsoft.Extensions.Logging;

namespace Tern.Store.FileSystem;

internal static partial class StoreLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Account {AccountId}: index missing; rebuilding it from the message files")]
    public static partial void IndexMissing(ILogger logger, long accountId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Account {AccountId}: index unreadable ({Reason}); rebuilding it from the message files")]
    public static partial void IndexCorrupt(ILogger logger, long accountId, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Account {AccountId}: reconcile: {Problem}")]
    public static partial void Reconciled(ILogger logger, long accountId, string problem);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Account {AccountId}: recovery snapshot not written: {Reason}")]
    public static partial void SnapshotFailed(ILogger logger, long accountId, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Account {AccountId}: a change handler failed")]
    public static partial void ChangeHandlerFailed(ILogger logger, long accountId, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Account {AccountId}: append failed: {Reason}")]
    public static partial void AppendFailed(ILogger logger, long accountId, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Account {AccountId}: index rebuilt: {Messages} messages in {Mailboxes} mailboxes")]
    public static partial void Rebuilt(ILogger logger, long accountId, int messages, int mailboxes);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Account {AccountId}: message {MessageId} could not be text-indexed: {Reason}")]
    public static partial void TextIndexFailed(ILogger logger, long accountId, long messageId, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Account {AccountId}: text-indexed {Count} messages")]
    public static partial void TextIndexed(ILogger logger, long accountId, int count);
}

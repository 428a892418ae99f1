using Microsoft.Extensions.Logging;

namespace Tern.MailAuth;

static partial class MailAuthLog
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "{QueueId}: spf={Spf} dkim={Dkim} dmarc={Dmarc} from={FromDomain} action={Action}")]
    public static partial void Checked(ILogger logger, string queueId, string spf, string dkim, string dmarc, string fromDomain, string action);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "{QueueId}: DKIM-signed for {Domain} with {Selectors}")]
    public static partial void Signed(ILogger logger, string queueId, string domain, string selectors);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "DKIM key {Path} is unreadable and is skipped")]
    public static partial void BadKey(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Information, Message = "{QueueId}: ARC-sealed for {Domain} (i={Instance})")]
    public static partial void Sealed(ILogger logger, string queueId, string domain, int instance);
}

using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.MailAuth;
using Tern.Net;
using Tern.Queue;

namespace Tern.Smtp.Server;

/// <summary>The SMTP server (RFC 5321) on its three listeners: smtp-mx (25, inbound mail for local addresses),
/// smtp-submission (587, RFC 6409, AUTH required) and smtp-submissions (465, RFC 8314 implicit TLS).</summary>
public sealed class SmtpProtocol(
    TernOptions options, QueueStore queue, IAccountStore accounts, IAuthenticator authenticator, MailAuthService mailAuth,
    ILoggerFactory loggerFactory) : IMailProtocol
{
    public const string MxRole = "smtp-mx";
    public const string SubmissionRole = "smtp-submission";
    public const string SubmissionsRole = "smtp-submissions";

    readonly ILogger logger = loggerFactory.CreateLogger("Tern.smtp");

    public string Name => "smtp";

    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(options.Smtp.IdleTimeoutSeconds);

    public IEnumerable<MailListenerDefinition> GetListeners(TernOptions options)
    {
        var smtp = options.Smtp;
        if (smtp.Mx.Enabled && smtp.Mx.Listen.Count > 0)
            yield return new MailListenerDefinition(MxRole, "Smtp:Mx:Listen", smtp.Mx.Listen, ImplicitTls: false, StandardPort: 25);
        if (smtp.Submission.Enabled && smtp.Submission.Listen.Count > 0)
            yield return new MailListenerDefinition(SubmissionRole, "Smtp:Submission:Listen", smtp.Submission.Listen, ImplicitTls: false, StandardPort: 587);
        if (smtp.Submissions.Enabled && smtp.Submissions.Listen.Count > 0)
            yield return new MailListenerDefinition(SubmissionsRole, "Smtp:Submissions:Listen", smtp.Submissions.Listen, ImplicitTls: true, StandardPort: 465);
    }

    /// <summary>RFC 5321 3.1: a server that cannot serve now may answer 421 in place of the greeting.</summary>
    public string TooBusyReply(string hostName) => $"421 4.7.0 {hostName} Too many connections, try later";

    public async Task RunSessionAsync(MailConnection connection, CancellationToken cancellationToken)
    {
        var session = new SmtpSession(connection, options, queue, accounts, authenticator, mailAuth, logger);
        await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }
}

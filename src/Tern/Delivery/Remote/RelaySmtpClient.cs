using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace Tern.Delivery.Remote;

/// <summary>MailKit's SMTP client with the envelope of a queued message: DSN parameters passed on (RFC 3461 ENVID,
/// RET, NOTIFY, ORCPT) and each RCPT reply kept, so one refused recipient does not abort the others.</summary>
/// <remarks>ORCPT: MailKit (4.18) computes it from the RCPT address and offers no hook, so the next hop sees
/// <c>ORCPT=rfc822;&lt;recipient&gt;</c>; the original ORCPT from the .env still appears in Tern's own DSNs.
/// MailKit pipelines MAIL and RCPT when PIPELINING is offered (RFC 2920), adds SIZE (RFC 1870), BODY=8BITMIME
/// (RFC 6152) and SMTPUTF8 (RFC 6531) when the server offers them and the message needs them.</remarks>
internal sealed class RelaySmtpClient : SmtpClient
{
    OutboundMessage? current;
    Dictionary<MailboxAddress, OutboundRecipient> byMailbox = new(ReferenceEqualityComparer.Instance);

    public RelaySmtpClient(IProtocolLogger protocolLogger) : base(protocolLogger)
    {
    }

    /// <summary>RCPT replies of the current message, by recipient address.</summary>
    public Dictionary<string, SmtpResponse> Accepted { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, SmtpResponse> Refused { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sets the envelope for the next <c>SendAsync</c>.</summary>
    public void Begin(OutboundMessage message, IReadOnlyDictionary<MailboxAddress, OutboundRecipient> recipients)
    {
        current = message;
        byMailbox = new Dictionary<MailboxAddress, OutboundRecipient>(recipients, ReferenceEqualityComparer.Instance);
        Accepted.Clear();
        Refused.Clear();
        // RFC 3461 4.3: RET is passed on as given; none means the next MTA decides.
        DeliveryStatusNotificationType = message.Ret?.ToUpperInvariant() switch
        {
            "FULL" => DeliveryStatusNotificationType.Full,
            "HDRS" => DeliveryStatusNotificationType.HeadersOnly,
            _ => DeliveryStatusNotificationType.Unspecified,
        };
    }

    protected override string? GetEnvelopeId(MimeMessage message) => current?.EnvelopeId;

    protected override DeliveryStatusNotification? GetDeliveryStatusNotifications(MimeMessage message, MailboxAddress mailbox)
    {
        if (!byMailbox.TryGetValue(mailbox, out var recipient) || recipient.Notify.Count == 0)
            return null;
        DeliveryStatusNotification notify = 0;
        foreach (var value in recipient.Notify)
        {
            notify |= value.ToUpperInvariant() switch
            {
                "NEVER" => DeliveryStatusNotification.Never,
                "SUCCESS" => DeliveryStatusNotification.Success,
                "FAILURE" => DeliveryStatusNotification.Failure,
                "DELAY" => DeliveryStatusNotification.Delay,
                _ => 0,
            };
        }
        return notify == 0 ? null : notify;
    }

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        Accepted[mailbox.Address] = response;

    /// <summary>Kept instead of thrown (MailKit's default), so the other recipients still get the message.</summary>
    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
        Refused[mailbox.Address] = response;

    /// <summary>Every RCPT was refused: MailKit must not send DATA. A command exception makes it RSET and keep the
    /// connection for the next message; the per-recipient replies are already in <see cref="Refused"/>.</summary>
    protected override void OnNoRecipientsAccepted(MimeMessage message) =>
        throw new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, SmtpStatusCode.MailboxUnavailable, "no recipient was accepted");
}

namespace Tern.Delivery.Remote;

/// <summary>One queued message on its way to one destination domain: the envelope fields the SMTP client passes on.</summary>
/// <param name="Sender">The reverse-path; empty for the null sender (bounces).</param>
/// <param name="Ret">RFC 3461 RET: "FULL", "HDRS" or null.</param>
/// <param name="EnvelopeId">RFC 3461 ENVID, decoded; null when not given.</param>
/// <param name="SmtpUtf8">RFC 6531: the message needs SMTPUTF8 (the client gave it when submitting).</param>
/// <param name="RequireTls">RFC 8689: the message was submitted with REQUIRETLS; it is passed on to the next hop.</param>
public sealed record OutboundMessage(
    string QueueId, string Sender, string? Ret, string? EnvelopeId, bool SmtpUtf8, IReadOnlyList<OutboundRecipient> Recipients,
    bool RequireTls = false);

/// <param name="Notify">RFC 3461 NOTIFY values ("NEVER" or some of "SUCCESS", "FAILURE", "DELAY"); empty when not given.</param>
/// <param name="OriginalRecipient">RFC 3461 ORCPT as "addr-type;address", decoded; null when not given.</param>
public sealed record OutboundRecipient(string Address, IReadOnlyList<string> Notify, string? OriginalRecipient);

public enum RemoteOutcome
{
    /// <summary>2xx after DATA: the remote MTA took responsibility.</summary>
    Delivered,
    /// <summary>4xx, a broken connection, a timeout, DNS trouble: try again later.</summary>
    Deferred,
    /// <summary>5xx or a permanent routing failure (null MX, no such domain).</summary>
    Failed,
}

/// <summary>What happened to one recipient in one attempt.</summary>
/// <param name="Status">RFC 3463 enhanced status code ("2.0.0", "4.4.1", "5.1.1").</param>
/// <param name="Reason">The remote reply ("550 5.1.1 no such user") or a local description, for the .env, log and DSN.</param>
/// <param name="RemoteReply">True when <paramref name="Reason"/> is an SMTP reply (it becomes the DSN's Diagnostic-Code).</param>
/// <param name="RemoteMta">The host that answered, when there was one.</param>
/// <param name="RemoteSupportsDsn">The remote MTA announced DSN, so it took over SUCCESS notifications (RFC 3461 5.2.2).</param>
public sealed record RecipientResult(
    string Address, RemoteOutcome Outcome, string Status, string Reason, bool RemoteReply, string? RemoteMta, bool RemoteSupportsDsn = false);

namespace Tern.MailAuth;

/// <summary>Mail authentication: SPF, DKIM, DMARC and ARC checks of mail received on port 25, DKIM signing of our
/// users' mail, and ARC sealing of forwarded mail. Described in <c>docs/MAILAUTH.md</c>.</summary>
public sealed class MailAuthOptions
{
    /// <summary>Check SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) of mail received on the
    /// MX listener and record the results in an Authentication-Results header (RFC 8601). Never on authenticated
    /// submission.</summary>
    public bool Verify { get; set; } = true;

    /// <summary>What to do with mail whose From domain publishes DMARC <c>p=reject</c> and fails:
    /// "Reject" (550 5.7.1 at the end of DATA), "Quarantine" (deliver into Junk) or "None" (deliver normally).</summary>
    public string OnReject { get; set; } = "Reject";

    /// <summary>What to do with mail whose From domain publishes DMARC <c>p=quarantine</c> and fails:
    /// "Quarantine" (deliver into Junk) or "None" (deliver normally).</summary>
    public string OnQuarantine { get; set; } = "Quarantine";

    /// <summary>A temporary DNS failure (SPF or DKIM temperror) where the From domain's policy is reject and nothing
    /// passed: answer 451 so the sender tries again, rather than refusing or accepting wrongly.</summary>
    public bool DeferOnTemporaryError { get; set; } = true;

    /// <summary>Seconds all DNS work of one message's checks may take; what is unanswered by then is a temperror.</summary>
    public int CheckTimeoutSeconds { get; set; } = 60;

    /// <summary>Local exceptions for From domains (RFC 7489 6.7 local policy), e.g. a mailing list that breaks
    /// signatures: each entry replaces <see cref="OnReject"/> and <see cref="OnQuarantine"/> for one domain and its
    /// subdomains.</summary>
    public List<MailAuthDomainOptions> Domains { get; set; } = [];

    /// <summary>DKIM-sign mail submitted by authenticated users with every active key of the From domain (keys made
    /// by <c>tern dkim generate</c> under <c>data/dkim/DOMAIN/</c>).</summary>
    public bool Sign { get; set; } = true;

    /// <summary>Add an ARC set (RFC 8617) when an alias forwards a message to another domain, signed with the
    /// alias domain's first active DKIM key.</summary>
    public bool ArcSeal { get; set; } = true;
}

/// <summary>Local DMARC policy for one From domain.</summary>
public sealed class MailAuthDomainOptions
{
    /// <summary>The From domain (its subdomains too).</summary>
    public string Domain { get; set; } = "";

    /// <summary>"Reject", "Quarantine" or "None"; empty: the global <see cref="MailAuthOptions.OnReject"/>.</summary>
    public string? OnReject { get; set; }

    /// <summary>"Quarantine" or "None"; empty: the global <see cref="MailAuthOptions.OnQuarantine"/>.</summary>
    public string? OnQuarantine { get; set; }
}

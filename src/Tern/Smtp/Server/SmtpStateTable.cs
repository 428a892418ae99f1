using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

/// <summary>Where a session is in the RFC 5321 dialogue.</summary>
[Flags]
public enum SmtpState
{
    /// <summary>Greeted by the server; no EHLO/HELO yet.</summary>
    Connected = 1,
    /// <summary>After EHLO/HELO (or RSET, or the end of a transaction).</summary>
    Ready = 2,
    /// <summary>After an accepted MAIL.</summary>
    Mail = 4,
    /// <summary>After at least one accepted RCPT.</summary>
    Rcpt = 8,
    /// <summary>Between BDAT chunks (RFC 3030), before the LAST one.</summary>
    Bdat = 16,
    Any = Connected | Ready | Mail | Rcpt | Bdat,
    Transaction = Mail | Rcpt | Bdat,
}

/// <summary>Which command is valid in which state, in one place (RFC 5321 4.1.4, 4.3.1; RFC 3030 2; RFC 4954 4;
/// RFC 3207 4). The session consults it before running a handler; the refusal replies are all 503 except DATA with no
/// accepted recipient, which RFC 5321 3.3 lets us answer 554 "no valid recipients".</summary>
public static class SmtpStateTable
{
    sealed record Rule(SmtpState Allowed, SmtpReply BeforeHello, SmtpReply InWrongState);

    static readonly SmtpReply NeedHello = new(503, "5.5.1", "Send EHLO or HELO first");
    static readonly SmtpReply BadSequence = new(503, "5.5.1", "Bad sequence of commands");

    static readonly Dictionary<SmtpVerb, Rule> Rules = new()
    {
        [SmtpVerb.Ehlo] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Helo] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Mail] = new(SmtpState.Ready, NeedHello, new(503, "5.5.1", "Nested MAIL command")),
        [SmtpVerb.Rcpt] = new(SmtpState.Mail | SmtpState.Rcpt, NeedHello, new(503, "5.5.1", "Need MAIL before RCPT")),
        [SmtpVerb.Data] = new(SmtpState.Rcpt, NeedHello, new(503, "5.5.1", "Need MAIL and RCPT before DATA")),
        [SmtpVerb.Bdat] = new(SmtpState.Rcpt | SmtpState.Bdat, NeedHello, new(503, "5.5.1", "Need MAIL and RCPT before BDAT")),
        [SmtpVerb.Rset] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Noop] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Quit] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Vrfy] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Help] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.Expn] = new(SmtpState.Any, NeedHello, BadSequence),
        [SmtpVerb.StartTls] = new(SmtpState.Connected | SmtpState.Ready, NeedHello, new(503, "5.5.1", "STARTTLS not allowed during a mail transaction")),
        [SmtpVerb.Auth] = new(SmtpState.Ready, NeedHello, new(503, "5.5.1", "AUTH not allowed during a mail transaction")),
    };

    /// <summary>Null when <paramref name="verb"/> may run in <paramref name="state"/>; otherwise the refusal.</summary>
    public static SmtpReply? Check(SmtpVerb verb, SmtpState state)
    {
        if (!Rules.TryGetValue(verb, out var rule))
            return null;
        if ((rule.Allowed & state) != 0)
            return null;
        if (state == SmtpState.Connected)
            return rule.BeforeHello;
        if (verb == SmtpVerb.Data && state == SmtpState.Mail)
            return new SmtpReply(554, "5.5.1", "No valid recipients");
        if (state == SmtpState.Bdat && verb is SmtpVerb.Data or SmtpVerb.Mail or SmtpVerb.Rcpt)
            return new SmtpReply(503, "5.5.1", "BDAT transfer in progress");
        return rule.InWrongState;
    }
}

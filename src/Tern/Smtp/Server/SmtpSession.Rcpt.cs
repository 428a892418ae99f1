using Tern.Accounts;
using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    int unknownRecipients;

    /// <summary>RCPT TO (RFC 5321 4.1.1.3) with NOTIFY and ORCPT (RFC 3461 4.1, 4.2), and the relay rules: local
    /// addresses must exist, other domains only for an authenticated user.</summary>
    async Task<SmtpReply> RcptAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        var tx = transaction!;
        if (!SmtpPathParser.TryParseRcptTo(command.Argument, out var recipient, out var parameters, out var error))
            return new SmtpReply(501, "5.1.3", error);
        if (!esmtp && parameters.Count > 0)
            return new SmtpReply(555, "5.5.4", "RCPT parameters need EHLO");
        // RFC 5321 4.5.3.1.8 / 4.5.3.1.10: 452 for too many recipients; the client sends the rest in another transaction.
        if (tx.Recipients.Count >= smtp.MaxRecipients)
            return new SmtpReply(452, "4.5.3", "Too many recipients");

        var queued = new QueueRecipient();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            if (!seen.Add(p.Keyword))
                return new SmtpReply(501, "5.5.4", $"Duplicate {p.Keyword} parameter");
            switch (p.Keyword)
            {
                case "NOTIFY":
                    var values = (p.Value ?? "").ToUpperInvariant().Split(',');
                    bool valid = values.All(v => v is "NEVER" or "SUCCESS" or "FAILURE" or "DELAY")
                        && values.Distinct().Count() == values.Length
                        && (!values.Contains("NEVER") || values.Length == 1);
                    if (!valid)
                        return new SmtpReply(501, "5.5.4", "NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY");
                    queued.Notify = [.. values];
                    break;
                case "ORCPT":
                    int semicolon = p.Value?.IndexOf(';', StringComparison.Ordinal) ?? -1;
                    if (semicolon <= 0 || p.Value!.Length > 500 || !Xtext.TryDecode(p.Value[(semicolon + 1)..], out var original))
                        return new SmtpReply(501, "5.5.4", "ORCPT must be addr-type;xtext");
                    queued.OriginalRecipient = p.Value[..semicolon] + ";" + original;
                    break;
                default:
                    return new SmtpReply(555, "5.5.4", $"Parameter {p.Keyword} not recognized");
            }
        }
        if (!recipient.IsAscii && !tx.EnvelopeSender.SmtpUtf8)
            return new SmtpReply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");
        // RFC 5321 3.6.1 / RFC 1123 5.2.16: no percent hack, bang path or quoted '@' routing, ever.
        if (recipient.HasRoutingCharacters)
            return new SmtpReply(553, "5.7.1", "Routing characters (%, !, quoted @) not accepted in addresses");

        var address = recipient.Domain.Length == 0
            ? await PostmasterAddressAsync(cancellationToken).ConfigureAwait(false)
            : recipient.Value;
        var verdict = await CheckRecipientAsync(address, recipient, cancellationToken).ConfigureAwait(false);
        if (verdict is not null)
            return verdict;

        if (!tx.Recipients.Exists(r => string.Equals(r.Address, address, StringComparison.OrdinalIgnoreCase)))
        {
            queued.Address = address;
            tx.Recipients.Add(queued);
        }
        state = SmtpState.Rcpt;
        return new SmtpReply(250, "2.1.5", "Ok");
    }

    async Task<SmtpReply?> CheckRecipientAsync(string address, SmtpAddress recipient, CancellationToken cancellationToken)
    {
        // An address literal is never local (we do not deliver to [ip] mailboxes); it is relaying.
        var resolution = recipient.Domain.StartsWith('[')
            ? new RecipientResolution(RecipientStatus.NotLocal, [], [])
            : await accounts.ResolveRecipientAsync(address, cancellationToken).ConfigureAwait(false);
        switch (resolution.Status)
        {
            case RecipientStatus.Found:
                return null;
            case RecipientStatus.NotLocal:
                // A local sender address never grants relaying; only authentication does.
                if (user is not null)
                    return null;
                SmtpLog.RelayDenied(logger, connection.Id, connection.RemoteEndPoint, address);
                return new SmtpReply(554, "5.7.1", $"<{address}>: Relay access denied");
            case RecipientStatus.Loop:
                return new SmtpReply(550, "5.4.6", $"<{address}>: Alias loop detected");
            case RecipientStatus.Disabled:
                return new SmtpReply(550, "5.2.1", $"<{address}>: Mailbox disabled");
            default:
                return await UnknownRecipientAsync(address, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Recipient probing: the first half of the budget is free, then each unknown address costs a growing
    /// delay, and the last one closes the session (421).</summary>
    async Task<SmtpReply> UnknownRecipientAsync(string address, CancellationToken cancellationToken)
    {
        unknownRecipients++;
        SmtpLog.UnknownRecipient(logger, connection.Id, connection.RemoteEndPoint, address, unknownRecipients);
        if (unknownRecipients >= smtp.MaxUnknownRecipients)
            return Close(new SmtpReply(421, "4.7.0", $"{Host} Too many unknown recipients, closing connection"), "too many unknown recipients");
        int over = unknownRecipients - (smtp.MaxUnknownRecipients / 2);
        if (over > 0)
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * over, 5000)), cancellationToken).ConfigureAwait(false);
        return new SmtpReply(550, "5.1.1", $"<{address}>: Recipient address rejected: User unknown");
    }

    /// <summary>RFC 5321 4.5.1: "RCPT TO:&lt;Postmaster&gt;" must work without a domain.</summary>
    async Task<string> PostmasterAddressAsync(CancellationToken cancellationToken)
    {
        if (await accounts.IsLocalDomainAsync(Host, cancellationToken).ConfigureAwait(false))
            return "postmaster@" + Host;
        var domains = await accounts.ListDomainsAsync(cancellationToken).ConfigureAwait(false);
        return "postmaster@" + (domains.Count > 0 ? domains[0].Name : Host);
    }
}

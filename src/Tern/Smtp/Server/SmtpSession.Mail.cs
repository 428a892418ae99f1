using System.Globalization;
using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    /// <summary>MAIL FROM (RFC 5321 4.1.1.2) with SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531),
    /// RET/ENVID (RFC 3461), REQUIRETLS (RFC 8689) and AUTH= (RFC 4954 5, accepted and ignored).</summary>
    async Task<SmtpReply> MailAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        // RFC 6409 4.3 / RFC 4954 6: submission requires authentication first.
        if (!IsMx && user is null)
            return new SmtpReply(530, "5.7.0", "Authentication required");
        if (!SmtpPathParser.TryParseMailFrom(command.Argument, out var sender, out var parameters, out var error))
            return new SmtpReply(501, "5.1.7", error);
        if (!esmtp && parameters.Count > 0)
            return new SmtpReply(555, "5.5.4", "MAIL parameters need EHLO");

        var envelope = new QueueSender { Address = sender?.Value ?? "" };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            if (!seen.Add(p.Keyword))
                return new SmtpReply(501, "5.5.4", $"Duplicate {p.Keyword} parameter");
            switch (p.Keyword)
            {
                case "SIZE":
                    if (p.Value is null || !p.Value.All(char.IsAsciiDigit) || p.Value.Length > 18
                        || !long.TryParse(p.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                        return new SmtpReply(501, "5.5.4", "Bad SIZE value");
                    // RFC 1870 6.2: refuse at MAIL when the declared size is already too big.
                    if (size > smtp.MaxMessageSize)
                        return new SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size");
                    break;
                case "BODY":
                    var body = p.Value?.ToUpperInvariant();
                    if (body is not ("7BIT" or "8BITMIME"))
                        return new SmtpReply(501, "5.5.4", "BODY must be 7BIT or 8BITMIME");
                    envelope.Body = body;
                    break;
                case "SMTPUTF8":
                    if (p.Value is not null)
                        return new SmtpReply(501, "5.5.4", "SMTPUTF8 takes no value");
                    envelope.SmtpUtf8 = true;
                    break;
                case "RET":
                    var ret = p.Value?.ToUpperInvariant();
                    if (ret is not ("FULL" or "HDRS"))
                        return new SmtpReply(501, "5.5.4", "RET must be FULL or HDRS");
                    envelope.Ret = ret;
                    break;
                case "ENVID":
                    // RFC 3461 4.4: xtext, at most 100 characters.
                    if (p.Value is null || p.Value.Length > 100 || !Xtext.TryDecode(p.Value, out var envId))
                        return new SmtpReply(501, "5.5.4", "Bad ENVID value");
                    envelope.EnvId = envId;
                    break;
                case "REQUIRETLS":
                    if (p.Value is not null)
                        return new SmtpReply(501, "5.5.4", "REQUIRETLS takes no value");
                    // RFC 8689 4.1: only over TLS (it is not advertised otherwise); RFC 5248 5.7.10: encryption needed.
                    if (!connection.IsSecure)
                        return new SmtpReply(530, "5.7.10", "REQUIRETLS needs a TLS-protected session (STARTTLS first)");
                    envelope.RequireTls = true;
                    break;
                case "AUTH":
                    break;
                default:
                    return new SmtpReply(555, "5.5.4", $"Parameter {p.Keyword} not recognized");
            }
        }
        if (sender is not null && !sender.IsAscii && !envelope.SmtpUtf8)
            return new SmtpReply(553, "5.6.7", "Non-ASCII address needs SMTPUTF8");

        // Sender safety: an authenticated user sends only as its own addresses and aliases.
        if (user is not null && (sender is null || !await MaySendAsAsync(sender.Value, cancellationToken).ConfigureAwait(false)))
        {
            SmtpLog.SenderRefused(logger, connection.Id, connection.RemoteEndPoint, user.Address, sender?.Value ?? "");
            return new SmtpReply(553, "5.7.1", $"Sender address <{sender?.Value}> not owned by user {user.Address}");
        }

        commandsBeforeMail = 0;
        transaction = new SmtpTransaction(sender, envelope);
        state = SmtpState.Mail;
        return new SmtpReply(250, "2.1.0", "Ok");
    }

    async Task<bool> MaySendAsAsync(string address, CancellationToken cancellationToken)
    {
        sendAs ??= new HashSet<string>(await accounts.GetSendAsAddressesAsync(user!, cancellationToken).ConfigureAwait(false), StringComparer.OrdinalIgnoreCase);
        return sendAs.Contains(address);
    }
}

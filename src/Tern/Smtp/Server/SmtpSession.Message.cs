using System.Globalization;
using MimeKit;
using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    bool NormalizeBareLineEndings => string.Equals(smtp.BareLineEndings, "Normalize", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reserves the queue id and writes the Received header (RFC 5321 4.4) before any content arrives.</summary>
    async Task<MessageIntake> StartIntakeAsync(SmtpTransaction tx, bool dotTransparency, CancellationToken cancellationToken)
    {
        var writer = queue.CreateMessageWriter();
        var trace = Trace(tx, writer.Id);
        var intake = new MessageIntake(
            writer, new DataDecoder(dotTransparency, NormalizeBareLineEndings, smtp.MaxDataLineLength),
            smtp.MaxMessageSize, ReceivedHeader.Format(trace));
        try
        {
            await intake.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await intake.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return intake;
    }

    ReceivedTrace Trace(SmtpTransaction tx, string queueId) => new(
        helo, connection.RemoteAddress, Host, esmtp, tx.EnvelopeSender.SmtpUtf8, connection.TlsDescription,
        user?.Address, queueId, tx.Recipients.Count == 1 ? tx.Recipients[0].Address : null, DateTimeOffset.Now);

    /// <summary>The checks that need the whole message, then the durable commit and the 250 with the queue id.
    /// Replies per RFC 5321 4.3.2 (DATA end: 250, 552, 554, 451, 452, 550).</summary>
    async Task<SmtpReply> FinishMessageAsync(SmtpTransaction tx, MessageIntake intake, CancellationToken cancellationToken)
    {
        var refusal = await CheckMessageAsync(tx, intake, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            SmtpLog.MessageRefused(logger, connection.Id, connection.RemoteEndPoint, refusal.ToString());
            return refusal;
        }

        AuthenticatedMessage authenticated;
        try
        {
            authenticated = await AuthenticateMessageAsync(tx, intake, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // The queue file could not be read back or copied: nothing was acknowledged, so the client tries again.
            SmtpLog.QueueFailed(logger, ex, connection.Id, connection.RemoteEndPoint);
            return new SmtpReply(451, "4.3.0", "Local error in processing, try again later");
        }
        if (authenticated.Refusal is { } verdict)
        {
            SmtpLog.MessageRefused(logger, connection.Id, connection.RemoteEndPoint, verdict.ToString());
            return verdict;
        }
        await using var replacement = authenticated.Replacement;
        var writer = replacement ?? intake.Writer;

        var trace = Trace(tx, writer.Id);
        var envelope = new QueueEnvelope
        {
            Arrived = DateTimeOffset.UtcNow,
            Sender = tx.EnvelopeSender,
            Recipients = tx.Recipients,
            Client = new QueueClient
            {
                Address = connection.RemoteAddress?.ToString() ?? "",
                Helo = helo,
                AuthenticatedUser = user?.Address,
                Tls = connection.TlsDescription,
                Listener = connection.Listener.Role,
                Protocol = trace.Protocol,
            },
            Mailbox = authenticated.Mailbox,
        };
        try
        {
            var id = await writer.CommitAsync(envelope, cancellationToken).ConfigureAwait(false);
            SmtpLog.Accepted(logger, connection.Id, connection.RemoteEndPoint, id, envelope.Sender.Address, envelope.Recipients.Count, envelope.Size);
            return new SmtpReply(250, "2.0.0", $"Ok: queued as {id}");
        }
        catch (IOException ex)
        {
            // Nothing was acknowledged: a 4xx makes the client try again later (RFC 5321 4.2.5).
            SmtpLog.QueueFailed(logger, ex, connection.Id, connection.RemoteEndPoint);
            return new SmtpReply(451, "4.3.0", "Local error in processing, try again later");
        }
    }

    async Task<SmtpReply?> CheckMessageAsync(SmtpTransaction tx, MessageIntake intake, CancellationToken cancellationToken)
    {
        if (intake.TooBig)
            return new SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size");
        // Postfix answers the same ("550 5.5.2 ... bare <LF> received") with smtpd_forbid_bare_newline.
        if ((intake.Problems & DataProblems.BareLineEnding) != 0 && !NormalizeBareLineEndings)
            return new SmtpReply(550, "5.5.2", "Message contains bare <CR> or <LF>; lines must end with <CRLF> (RFC 5321 2.3.8)");
        if ((intake.Problems & DataProblems.LineTooLong) != 0)
            return new SmtpReply(554, "5.6.0", $"Message has a line longer than {smtp.MaxDataLineLength.ToString(CultureInfo.InvariantCulture)} octets (RFC 5321 4.5.3.1.6)");
        // Our choice for 8-bit octets without BODY=8BITMIME or SMTPUTF8: refuse (RFC 6152 3 lets a server refuse).
        // Accepting would leave the relay with mail it can only pass on by breaking the 7-bit promise.
        if ((intake.Problems & DataProblems.EightBit) != 0 && !tx.EightBitAllowed)
            return new SmtpReply(554, "5.6.1", "8-bit data needs BODY=8BITMIME (RFC 6152)");
        if (user is not null)
            return await CheckFromHeaderAsync(intake, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Sender safety for authenticated users: every From address must be one of theirs. The reply is 550
    /// rather than 553 because RFC 5321 4.3.2 does not list 553 after DATA.</summary>
    async Task<SmtpReply?> CheckFromHeaderAsync(MessageIntake intake, CancellationToken cancellationToken)
    {
        var section = intake.HeaderSection;
        if (section is null)
            return new SmtpReply(550, "5.7.1", "Header section too large to check the From address");
        HeaderList headers;
        using (var stream = new MemoryStream(section))
        {
            try { headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken).ConfigureAwait(false); }
            catch (FormatException) { return new SmtpReply(550, "5.6.0", "Malformed header section"); }
        }
        foreach (var header in headers.Where(h => h.Id == HeaderId.From))
        {
            if (!InternetAddressList.TryParse(ParserOptions.Default, header.RawValue, out var list) || list.Mailboxes.Count() == 0)
                return new SmtpReply(550, "5.7.1", "From header address not owned by the authenticated user");
            foreach (var mailbox in list.Mailboxes)
            {
                if (!await MaySendAsAsync(mailbox.Address, cancellationToken).ConfigureAwait(false))
                {
                    SmtpLog.SenderRefused(logger, connection.Id, connection.RemoteEndPoint, user!.Address, mailbox.Address);
                    return new SmtpReply(550, "5.7.1", $"From address <{mailbox.Address}> not owned by user {user.Address}");
                }
            }
        }
        return null;
    }
}

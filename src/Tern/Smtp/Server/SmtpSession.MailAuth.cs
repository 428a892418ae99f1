using System.Text;
using MimeKit;
using Tern.MailAuth;
using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

/// <summary>The mail authentication step between the content checks and the queue commit.</summary>
sealed record AuthenticatedMessage(SmtpReply? Refusal, QueueMessageWriter? Replacement, string? Mailbox);

sealed partial class SmtpSession
{
    static readonly AuthenticatedMessage Unchanged = new(null, null, null);

    /// <summary>On the MX listener without AUTH: SPF, DKIM, DMARC and ARC checks, one Authentication-Results field,
    /// the DMARC verdict (550 5.7.1 reject, 451 defer, Junk). For an authenticated user: DKIM signatures of the From
    /// domain's keys. A changed message is copied into a new queue file (Received naming the new id) whose writer the
    /// caller commits instead of the intake's.</summary>
    async Task<AuthenticatedMessage> AuthenticateMessageAsync(SmtpTransaction tx, MessageIntake intake, CancellationToken cancellationToken)
    {
        bool verify = IsMx && user is null && mailAuth.Settings.Verify;
        bool sign = user is not null && mailAuth.Settings.Sign;
        if (!verify && !sign)
            return Unchanged;
        var writer = intake.Writer;
        await writer.Content.FlushAsync(cancellationToken).ConfigureAwait(false);
        await using var content = new FileStream(writer.TempPath, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous,
        });

        string added;
        string? mailbox = null;
        Func<string, bool>? drop = null;
        if (verify)
        {
            var verdict = await mailAuth.Inbound.CheckAsync(
                new InboundEnvelope(connection.RemoteAddress, helo, tx.EnvelopeSender.Address), content, writer.Id, cancellationToken).ConfigureAwait(false);
            switch (verdict.Action)
            {
                case InboundAction.Reject:
                    return new AuthenticatedMessage(new SmtpReply(550, "5.7.1", verdict.Reply!), null, null);
                case InboundAction.Defer:
                    return new AuthenticatedMessage(new SmtpReply(451, "4.7.1", verdict.Reply!), null, null);
                case InboundAction.Quarantine:
                    mailbox = "Junk";
                    break;
            }
            added = verdict.HeaderField + await ArcSealAsync(tx, content, verdict.HeaderField, writer.Id, cancellationToken).ConfigureAwait(false);
            // RFC 8601 5: an Authentication-Results field from outside that claims our authserv-id is a forgery.
            drop = field => AuthenticationResultsBuilder.ClaimsAuthservId(field, Host);
        }
        else
        {
            var domain = await FromDomainAsync(intake, cancellationToken).ConfigureAwait(false);
            if (domain is null)
                return Unchanged;
            string? signatures;
            try
            {
                signatures = await mailAuth.Signer.SignAsync(content, domain, writer.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FormatException or IOException or ArgumentException or InvalidOperationException
                or NotSupportedException or Org.BouncyCastle.Crypto.CryptoException)
            {
                // Unsigned mail is still mail: the user's message is not refused because a key is broken.
                SmtpLog.SigningFailed(logger, ex, connection.Id, connection.RemoteEndPoint, domain);
                return Unchanged;
            }
            if (signatures is null)
                return Unchanged;
            added = signatures;
        }

        content.Position = intake.TraceHeader.Length;
        var replacement = queue.CreateMessageWriter();
        try
        {
            var trace = ReceivedHeader.Format(Trace(tx, replacement.Id));
            await MessageRewriter.CopyAsync(content, replacement.WriteAsync, trace + added, drop, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await replacement.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new AuthenticatedMessage(null, replacement, mailbox);
    }

    /// <summary>RFC 8617: when a recipient is an alias that forwards to other domains, the results just recorded are
    /// sealed with the alias domain's key before the message leaves. Empty when nothing is to be sealed.</summary>
    async Task<string> ArcSealAsync(SmtpTransaction tx, FileStream content, string authenticationResults, string queueId, CancellationToken cancellationToken)
    {
        if (!mailAuth.Settings.ArcSeal)
            return "";
        foreach (var recipient in tx.Recipients)
        {
            var resolution = await accounts.ResolveRecipientAsync(recipient.Address, cancellationToken).ConfigureAwait(false);
            if (resolution.Status != Tern.Accounts.RecipientStatus.Found || resolution.RemoteAddresses.Count == 0)
                continue;
            var domain = recipient.Address[(recipient.Address.LastIndexOf('@') + 1)..].ToLowerInvariant();
            content.Position = 0;
            try
            {
                if (await mailAuth.Sealer.SealAsync(content, authenticationResults, domain, queueId, cancellationToken).ConfigureAwait(false) is { } seal)
                    return seal;
            }
            catch (Exception ex) when (ex is FormatException or IOException or ArgumentException or InvalidOperationException
                or NotSupportedException or Org.BouncyCastle.Crypto.CryptoException)
            {
                // Forwarded without a seal is how mail was forwarded before ARC: the message is not lost for it.
                SmtpLog.SigningFailed(logger, ex, connection.Id, connection.RemoteEndPoint, domain);
            }
        }
        return "";
    }

    /// <summary>The domain of the first From address (checked against the user's addresses already).</summary>
    static async Task<string?> FromDomainAsync(MessageIntake intake, CancellationToken cancellationToken)
    {
        if (intake.HeaderSection is not { } section)
            return null;
        HeaderList headers;
        using (var stream = new MemoryStream(section))
        {
            try { headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken).ConfigureAwait(false); }
            catch (FormatException) { return null; }
        }
        var from = headers.FirstOrDefault(h => h.Id == HeaderId.From);
        if (from is null || !InternetAddressList.TryParse(ParserOptions.Default, from.RawValue, out var list))
            return null;
        return list.Mailboxes.FirstOrDefault()?.Domain is { Length: > 0 } domain ? domain.TrimEnd('.').ToLowerInvariant() : null;
    }
}

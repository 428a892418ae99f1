using System.Net;
using MailKit;
using MailKit.Net.Smtp;
using Microsoft.Extensions.Logging;
using MimeKit;
using Tern.Configuration;

namespace Tern.Delivery.Remote;

/// <summary>An open SMTP session to one MX host, reused for every message of a domain worker until it breaks.</summary>
internal sealed class RemoteConnection : IAsyncDisposable
{
    readonly RelaySmtpClient client;
    readonly RelayOptions options;
    readonly ILogger logger;

    public RemoteConnection(RelaySmtpClient client, string host, IPAddress address, RelayOptions options, ILogger logger)
    {
        this.client = client;
        this.options = options;
        this.logger = logger;
        Host = host;
        Address = address;
    }

    public string Host { get; }
    public IPAddress Address { get; }

    /// <summary>False once the session is unusable (dropped, timed out, protocol error); the worker then reconnects.</summary>
    public bool IsUsable => client.IsConnected && !broken;
    bool broken;

    bool SupportsDsn => (client.Capabilities & SmtpCapabilities.Dsn) != 0;

    /// <summary>TLS is on and the certificate was verified for <see cref="Host"/> (PKIX).</summary>
    public bool Verified { get; init; }

    /// <summary>The server offers REQUIRETLS (RFC 8689).</summary>
    public bool SupportsRequireTls => (client.Capabilities & SmtpCapabilities.RequireTLS) != 0;

    /// <summary>Whether this session, opened for an earlier message, may carry a message under <paramref name="requirement"/>.</summary>
    public bool Satisfies(TlsRequirement requirement) =>
        (!requirement.VerifiedTls || Verified)
        && (!requirement.EnforcesPolicy || requirement.Policy!.Matches(Host))
        && (!requirement.RequireTlsExtension || SupportsRequireTls);

    /// <summary>Sends one message and returns each recipient's result. Never throws for what the peer or the network
    /// does; only <paramref name="cancellationToken"/> (shutdown) ends it with an exception.</summary>
    /// <remarks>RFC 5321 3.3: in SMTP (unlike LMTP) the one reply to the final dot covers every accepted recipient.</remarks>
    public async Task<IReadOnlyList<RecipientResult>> SendAsync(OutboundMessage message, MimeMessage mime, CancellationToken cancellationToken)
    {
        var results = new List<RecipientResult>();
        var mailboxes = new Dictionary<MailboxAddress, OutboundRecipient>(ReferenceEqualityComparer.Instance);
        foreach (var recipient in message.Recipients)
        {
            if (TryMailbox(recipient.Address, out var mailbox))
                mailboxes[mailbox] = recipient;
            else
                results.Add(new RecipientResult(recipient.Address, RemoteOutcome.Failed, "5.1.3", "bad recipient address syntax", false, null));
        }
        if (mailboxes.Count == 0)
            return results;
        if (!TryMailbox(message.Sender, out var sender))
        {
            foreach (var recipient in mailboxes.Values)
                results.Add(new RecipientResult(recipient.Address, RemoteOutcome.Failed, "5.1.7", "bad sender address syntax", false, null));
            return results;
        }

        client.Begin(message, mailboxes);
        // RFC 8689 4.2.1: REQUIRETLS is passed on in MAIL FROM (MailKit adds it when the server offers it, which the
        // connector checked for such messages).
        client.RequireTLS = message.RequireTls;
        // RFC 5321 4.5.3.2.5/4.5.3.2.6: 3 minutes per data block, 10 minutes for the reply to the final dot. MailKit
        // has one per-read/per-write timeout, so the larger value covers the whole transaction.
        client.Timeout = checked(options.DataTimeoutSeconds * 1000);
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.International = message.SmtpUtf8;
        try
        {
            var reply = await client.SendAsync(format, mime, sender, mailboxes.Keys, cancellationToken).ConfigureAwait(false);
            var dataReply = SmtpStatus.Format(250, reply);
            foreach (var (mailbox, recipient) in mailboxes)
            {
                results.Add(client.Refused.TryGetValue(mailbox.Address, out var refused)
                    ? FromReply(recipient.Address, (int)refused.StatusCode, refused.Response)
                    : new RecipientResult(recipient.Address, RemoteOutcome.Delivered, SmtpStatus.EnhancedOf(250, reply), dataReply, true, Host, SupportsDsn));
            }
        }
        catch (SmtpCommandException ex)
        {
            // MAIL refused, no RCPT accepted, or DATA refused: MailKit sent RSET and the session may go on.
            broken = !client.IsConnected;
            foreach (var (mailbox, recipient) in mailboxes)
            {
                results.Add(client.Refused.TryGetValue(mailbox.Address, out var refused)
                    ? FromReply(recipient.Address, (int)refused.StatusCode, refused.Response)
                    : FromReply(recipient.Address, (int)ex.StatusCode, ex.Message));
            }
        }
        catch (NotSupportedException ex) when (message.SmtpUtf8)
        {
            // RFC 6531 3.2: a message that needs SMTPUTF8 cannot go to a server without it.
            foreach (var recipient in mailboxes.Values)
            {
                results.Add(new RecipientResult(recipient.Address, RemoteOutcome.Failed, "5.6.7",
                    $"{Host} does not support SMTPUTF8, which this message needs ({ex.Message})", false, Host));
            }
        }
        catch (Exception ex) when (SmtpConnector.IsPeerFailure(ex, cancellationToken))
        {
            // Dropped mid-DATA, timed out, or answered out of spec: nobody can say whether the peer took the message,
            // so every recipient not refused is deferred (at-least-once; docs/RELAY.md).
            broken = true;
            var reason = SmtpConnector.Describe(ex, options.DataTimeoutSeconds);
            RelayLog.TransactionBroken(logger, message.QueueId, Host, reason);
            foreach (var (mailbox, recipient) in mailboxes)
            {
                results.Add(client.Refused.TryGetValue(mailbox.Address, out var refused)
                    ? FromReply(recipient.Address, (int)refused.StatusCode, refused.Response)
                    : new RecipientResult(recipient.Address, RemoteOutcome.Deferred, "4.4.2", $"{Host}: {reason}", false, Host));
            }
        }
        finally
        {
            client.Timeout = checked(options.CommandTimeoutSeconds * 1000);
        }
        return results;
    }

    RecipientResult FromReply(string address, int code, string text) =>
        new(address, SmtpStatus.OutcomeOf(code), SmtpStatus.EnhancedOf(code, text), SmtpStatus.Format(code, text), true, Host);

    static bool TryMailbox(string address, out MailboxAddress mailbox)
    {
        mailbox = null!;
        if (address.Length == 0)
        {
            // The null reverse-path <> of bounces (RFC 5321 4.5.5).
            mailbox = new MailboxAddress("", "");
            return true;
        }
        if (!MailboxAddress.TryParse(ParserOptions.Default, address, out var parsed) || parsed.Address.Length == 0)
            return false;
        mailbox = parsed;
        return true;
    }

    /// <summary>QUIT when the session is still healthy; a short wait at most.</summary>
    public async ValueTask DisposeAsync()
    {
        if (client.IsConnected)
        {
            using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                client.Timeout = 5000;
                await client.DisconnectAsync(!broken, quit.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (SmtpConnector.IsPeerFailure(ex, CancellationToken.None))
            {
                // QUIT is a courtesy; the message results are already stored.
            }
        }
        client.Dispose();
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Queue;

namespace Tern.Delivery.Dsn;

/// <summary>Decides whether a delivery status notification is due (RFC 3461 NOTIFY, null sender), builds it and
/// puts it into the queue, so a local sender gets it through local delivery and a remote one through the relay.</summary>
/// <remarks>
/// <para>RFC 5321 6.1/RFC 3461 6.2: reports go out with the null reverse-path &lt;&gt;, and nothing is ever sent to
/// &lt;&gt;. When a message from &lt;&gt; fails (a bounce that bounced), the report goes to postmaster@ the first local
/// domain instead, unless that postmaster was itself the failing recipient.</para>
/// <para>Crash safety: callers enqueue the report before they mark the recipient failed; a crash in between sends the
/// report again after the restart rather than never.</para>
/// </remarks>
public sealed class DsnSender(TernOptions options, QueueStore queue, IServiceProvider services, ILogger<DsnSender> logger)
{
    /// <summary>RFC 3461 4.1: whether the recipient asked for a report of this kind. Without NOTIFY, failures and
    /// delays are reported (the "FAILURE,DELAY" default the RFC allows), successes are not.</summary>
    public static bool Wants(IReadOnlyCollection<string> notify, DsnAction action)
    {
        if (notify.Any(n => n.Equals("NEVER", StringComparison.OrdinalIgnoreCase)))
            return false;
        string needed = action switch
        {
            DsnAction.Failed => "FAILURE",
            DsnAction.Delayed => "DELAY",
            _ => "SUCCESS",
        };
        if (notify.Count == 0)
            return action is DsnAction.Failed or DsnAction.Delayed;
        return notify.Any(n => n.Equals(needed, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Queues one report about <paramref name="reports"/> of the entry <paramref name="envelope"/> (whose
    /// .msg is still in the queue). Reports nobody asked for are dropped. Returns the report's queue id, or null when
    /// none was sent.</summary>
    public async Task<string?> SendAsync(QueueEnvelope envelope, IReadOnlyList<DsnRecipientReport> reports, CancellationToken cancellationToken)
    {
        var wanted = reports.Where(r => Wants(NotifyOf(envelope, r.FinalRecipient), r.Action)).ToList();
        if (wanted.Count == 0)
            return null;

        string to = envelope.Sender.Address;
        bool toPostmaster = false;
        if (to.Length == 0)
        {
            // Only failures of <> mail concern the postmaster; delays and successes of a bounce concern nobody.
            wanted = wanted.Where(r => r.Action == DsnAction.Failed).ToList();
            var postmaster = await PostmasterAsync(cancellationToken).ConfigureAwait(false);
            if (postmaster is null)
            {
                DsnLog.Dropped(logger, envelope.Id, "the sender is <> and there is no local domain for a postmaster");
                return null;
            }
            wanted = wanted.Where(r => !r.FinalRecipient.Equals(postmaster, StringComparison.OrdinalIgnoreCase)).ToList();
            if (wanted.Count == 0)
            {
                DsnLog.Dropped(logger, envelope.Id, "a report to the postmaster failed; not reporting it again");
                return null;
            }
            to = postmaster;
            toPostmaster = true;
        }

        var request = new DsnRequest(
            options.HostName, to, envelope.Sender.EnvId, envelope.Arrived, envelope.Id, wanted,
            // RFC 8689 4.3 (non-delivery of a REQUIRETLS message): the report travels under REQUIRETLS too, and carries
            // only the returned header, so the content never leaves by a path weaker than its sender asked for.
            ReturnFullMessage: !envelope.Sender.RequireTls && string.Equals(envelope.Sender.Ret, "FULL", StringComparison.OrdinalIgnoreCase),
            ToPostmaster: toPostmaster);

        await using var original = queue.OpenMessage(envelope.Id);
        var report = DsnBuilder.Build(request, original);
        await using var writer = queue.CreateMessageWriter();
        var format = MimeKit.FormatOptions.Default.Clone();
        format.NewLineFormat = MimeKit.NewLineFormat.Dos;
        await report.WriteToAsync(format, writer.Content, cancellationToken).ConfigureAwait(false);
        var dsnEnvelope = new QueueEnvelope
        {
            Arrived = DateTimeOffset.UtcNow,
            Sender = new QueueSender
            {
                Address = "",
                // The returned message may carry 8-bit text or UTF-8 headers; say so as its sender did.
                Body = request.ReturnFullMessage ? envelope.Sender.Body : null,
                SmtpUtf8 = envelope.Sender.SmtpUtf8,
                RequireTls = envelope.Sender.RequireTls,
            },
            Recipients = [new QueueRecipient { Address = to, State = RecipientState.Pending }],
            Client = new QueueClient { Address = "", Helo = options.HostName, Listener = "local", Protocol = "local" },
        };
        var id = await writer.CommitAsync(dsnEnvelope, cancellationToken).ConfigureAwait(false);
        DsnLog.Queued(logger, id, envelope.Id, to, string.Join(", ", wanted.Select(r => $"{r.FinalRecipient} {r.Action.ToString().ToLowerInvariant()} {r.Status}")));
        return id;
    }

    /// <summary>postmaster@ the first local domain (RFC 5321 4.5.1), or null without local domains.</summary>
    async Task<string?> PostmasterAsync(CancellationToken cancellationToken)
    {
        var accounts = services.GetService<IAccountStore>();
        if (accounts is null)
            return null;
        var domains = await accounts.ListDomainsAsync(cancellationToken).ConfigureAwait(false);
        return domains.Count == 0 ? null : "postmaster@" + domains[0].Name;
    }

    static IReadOnlyCollection<string> NotifyOf(QueueEnvelope envelope, string address) =>
        envelope.Recipients.FirstOrDefault(r => r.Address.Equals(address, StringComparison.OrdinalIgnoreCase))?.Notify ?? [];
}

/// <summary>Typed log events of delivery status notifications (event ids 2350-2369).</summary>
static partial class DsnLog
{
    [LoggerMessage(2350, LogLevel.Information, "DSN {DsnId} queued for {QueueId} to <{To}>: {Recipients}")]
    public static partial void Queued(ILogger logger, string dsnId, string queueId, string to, string recipients);

    [LoggerMessage(2351, LogLevel.Warning, "no DSN for {QueueId}: {Reason}")]
    public static partial void Dropped(ILogger logger, string queueId, string reason);
}

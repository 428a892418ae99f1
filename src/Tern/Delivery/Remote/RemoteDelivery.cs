using Microsoft.Extensions.Logging;
using MimeKit;
using Tern.Configuration;
using Tern.Delivery.Dsn;
using Tern.Queue;

namespace Tern.Delivery.Remote;

/// <summary>One queue entry's recipients of one domain: one attempt, then the results into the .env, the DSN, the end
/// of the entry.</summary>
/// <remarks>
/// <para>Safety (docs/RELAY.md): the results are written (fsynced, atomic rename) right after the remote's reply to the
/// final dot, before anything else, so a restart never sends again to a recipient that accepted. The window left is a
/// kill between that reply and the write: then the message is sent again (at-least-once, never lost).</para>
/// <para>Failed recipients: the DSN is queued first, then the recipients are marked failed; a crash in between repeats
/// the attempt and the DSN instead of losing it.</para>
/// </remarks>
internal sealed class RemoteDelivery(
    TernOptions options, QueueStore queue, SmtpConnector connector, MtaStsResolver mtaSts, DsnSender dsn, ILogger<RemoteDelivery> logger)
{
    readonly RetrySchedule schedule = new(options.Relay);

    /// <summary>Per-worker state: the route and the open connection are reused for the next message of the domain.</summary>
    internal sealed class WorkerState : IAsyncDisposable
    {
        public MxRoute? Route;
        public RemoteConnection? Connection;
        public RouteFailure? ConnectFailure;
        /// <summary>The requirement <see cref="ConnectFailure"/> was found under; another one tries again.</summary>
        public TlsRequirement? ConnectFailureFor;
        /// <summary>The domain's MTA-STS policy, looked up once per worker (RFC 8461 5.1: per delivery attempt).</summary>
        public MtaStsPolicy? Policy;
        public bool PolicyLoaded;

        public async ValueTask DisposeAsync()
        {
            if (Connection is not null)
                await Connection.DisposeAsync().ConfigureAwait(false);
            Connection = null;
        }
    }

    public static string DomainOf(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..].TrimEnd('.').ToLowerInvariant();
    }

    public async Task DeliverAsync(string id, string domain, WorkerState state, CancellationToken cancellationToken)
    {
        QueueEnvelope? envelope;
        try { envelope = await queue.ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false); }
        catch (InvalidDataException) { return; } // logged by the queue; left for the administrator
        if (envelope is null)
            return;
        var now = DateTimeOffset.UtcNow;
        var due = envelope.Recipients
            .Where(r => r.IsDue(now) && DomainOf(r.Address) == domain)
            .DistinctBy(r => r.Address, StringComparer.OrdinalIgnoreCase)
            .ToList();
        if (due.Count == 0)
            return;

        var results = await AttemptAsync(envelope, domain, due, state, cancellationToken).ConfigureAwait(false);
        await ApplyAsync(id, results, cancellationToken).ConfigureAwait(false);
    }

    async Task<IReadOnlyList<RecipientResult>> AttemptAsync(
        QueueEnvelope envelope, string domain, List<QueueRecipient> due, WorkerState state, CancellationToken cancellationToken)
    {
        state.Route ??= await connector.RouteAsync(domain, cancellationToken).ConfigureAwait(false);
        if (state.Route.Failure is { } routeFailure)
            return FailAll(due, routeFailure);

        if (!state.PolicyLoaded)
        {
            // RFC 8461 applies to MX delivery; a smarthost is this server's own choice of next hop.
            state.Policy = connector.UsesSmarthost ? null : await mtaSts.GetPolicyAsync(domain, cancellationToken).ConfigureAwait(false);
            state.PolicyLoaded = true;
        }

        Stream content;
        try { content = queue.OpenMessage(envelope.Id); }
        catch (FileNotFoundException) { return []; } // deleted meanwhile (tern queue delete)
        await using (content.ConfigureAwait(false))
        {
            MimeMessage mime;
            try
            {
                // persistent: bodies stay in the file and are streamed from it, never held in memory.
                mime = await MimeMessage.LoadAsync(content, persistent: true, cancellationToken).ConfigureAwait(false);
            }
            catch (FormatException ex)
            {
                RelayLog.UnreadableMessage(logger, envelope.Id, ex.Message);
                return FailAll(due, new RouteFailure(true, "5.6.0", "the queued message cannot be parsed: " + ex.Message));
            }

            var requirement = connector.RequirementFor(domain, state.Policy, envelope.Sender.RequireTls, HasTlsRequiredNo(mime));
            if (state.Connection is { IsUsable: false } || (state.Connection is not null && !state.Connection.Satisfies(requirement)))
                await state.DisposeAsync().ConfigureAwait(false);
            if (state.Connection is null && (state.ConnectFailure is null || state.ConnectFailureFor != requirement))
            {
                var connected = await connector.ConnectAsync(domain, state.Route, requirement, cancellationToken).ConfigureAwait(false);
                state.Connection = connected.Connection;
                // Remembered for this worker's other messages under the same requirement: one unreachable domain costs
                // one round of connects.
                state.ConnectFailure = connected.Failure;
                state.ConnectFailureFor = requirement;
            }
            if (state.Connection is null)
                return FailAll(due, state.ConnectFailure ?? new RouteFailure(false, "4.4.1", "no connection"));

            var outbound = new OutboundMessage(
                envelope.Id, envelope.Sender.Address, envelope.Sender.Ret, envelope.Sender.EnvId, envelope.Sender.SmtpUtf8,
                due.Select(r => new OutboundRecipient(r.Address, r.Notify, r.OriginalRecipient)).ToList(), envelope.Sender.RequireTls);
            return await state.Connection.SendAsync(outbound, mime, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>RFC 8689 5: "TLS-Required: No" asks that recipient-side TLS policies be ignored for this message.</summary>
    static bool HasTlsRequiredNo(MimeMessage mime) =>
        mime.Headers["TLS-Required"] is { } value && string.Equals(value.Trim(), "No", StringComparison.OrdinalIgnoreCase);

    static List<RecipientResult> FailAll(IEnumerable<QueueRecipient> recipients, RouteFailure failure) =>
        recipients.Select(r => new RecipientResult(
            r.Address, failure.Permanent ? RemoteOutcome.Failed : RemoteOutcome.Deferred, failure.Status, failure.Reason, false, null)).ToList();

    /// <summary>Writes the attempt into the .env: delivered and deferred at once, failed after their DSN is queued.</summary>
    async Task ApplyAsync(string id, IReadOnlyList<RecipientResult> results, CancellationToken cancellationToken)
    {
        if (results.Count == 0)
            return;
        var now = DateTimeOffset.UtcNow;
        var byAddress = results.GroupBy(r => r.Address, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var failures = new List<(RecipientResult Result, string Status, string Reason)>();
        var reports = new List<DsnRecipientReport>();

        // The shutdown token is not passed on: once the remote has answered, its answer must be recorded.
        var envelope = await queue.UpdateEnvelopeAsync(id, e =>
        {
            failures.Clear();
            reports.Clear();
            var expires = schedule.ExpiresAt(e.Arrived);
            foreach (var r in e.Recipients)
            {
                if (r.State is RecipientState.Delivered or RecipientState.Failed || !byAddress.TryGetValue(r.Address, out var result))
                    continue;
                switch (result.Outcome)
                {
                    case RemoteOutcome.Delivered:
                        r.State = RecipientState.Delivered;
                        r.Reason = result.Reason;
                        r.Attempts++;
                        r.LastAttempt = now;
                        r.NextAttempt = null;
                        RelayLog.Delivered(logger, id, r.Address, result.RemoteMta ?? "?", result.Reason);
                        // RFC 3461 5.2.2.3: a next hop without DSN cannot report success; we say "relayed" instead.
                        if (!result.RemoteSupportsDsn)
                            reports.Add(Report(r, result, DsnAction.Relayed, result.Status, now));
                        break;
                    case RemoteOutcome.Deferred:
                        var previous = r.LastAttempt ?? e.Arrived;
                        var next = schedule.NextAttempt(e.Arrived, r.Attempts + 1, now);
                        if (next is null)
                        {
                            // RFC 5321 4.5.4.1: give up after the queue lifetime; RFC 3463 5.4.7 delivery time expired.
                            failures.Add((result, "5.4.7", $"{result.Reason} (gave up: queued longer than {TimeSpan.FromSeconds(options.Relay.MaxQueueLifetimeSeconds)})"));
                            break;
                        }
                        r.Attempts++;
                        r.State = RecipientState.Deferred;
                        r.Reason = result.Reason;
                        r.LastAttempt = now;
                        r.NextAttempt = next;
                        RelayLog.Deferred(logger, id, r.Address, r.Attempts, next.Value, result.Reason);
                        if (options.Relay.DelayWarningSeconds > 0)
                        {
                            var warnAt = e.Arrived.AddSeconds(options.Relay.DelayWarningSeconds);
                            if (now >= warnAt && previous < warnAt)
                                reports.Add(Report(r, result, DsnAction.Delayed, result.Status, now) with { WillRetryUntil = expires });
                        }
                        break;
                    case RemoteOutcome.Failed:
                        failures.Add((result, result.Status, result.Reason));
                        break;
                }
            }
            return results.Any(r => r.Outcome != RemoteOutcome.Failed);
        }, CancellationToken.None).ConfigureAwait(false);
        if (envelope is null)
            return; // deleted meanwhile

        foreach (var (result, status, reason) in failures)
        {
            var recipient = envelope.Recipients.First(r => r.Address.Equals(result.Address, StringComparison.OrdinalIgnoreCase));
            reports.Add(Report(recipient, result with { Reason = reason }, DsnAction.Failed, status, now));
        }
        if (reports.Count > 0)
        {
            try
            {
                await dsn.SendAsync(envelope, reports, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Disk trouble: keep the recipients as they are; the next attempt reports again.
                RelayLog.FinishFailed(logger, id, "could not queue the DSN: " + ex.Message);
                return;
            }
        }
        if (failures.Count > 0)
        {
            envelope = await queue.UpdateEnvelopeAsync(id, e =>
            {
                foreach (var (result, status, reason) in failures)
                {
                    foreach (var r in e.Recipients.Where(r => r.Address.Equals(result.Address, StringComparison.OrdinalIgnoreCase)
                        && r.State is RecipientState.Pending or RecipientState.Deferred))
                    {
                        r.State = RecipientState.Failed;
                        // A remote reply carries its own codes ("550 5.1.1 ..."); a local reason gets the status.
                        r.Reason = char.IsAsciiDigit(reason[0]) ? reason : $"{status} {reason}";
                        r.Attempts++;
                        r.LastAttempt = now;
                        r.NextAttempt = null;
                        RelayLog.Failed(logger, id, r.Address, status, reason);
                    }
                }
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
        }

        if (envelope?.IsFinished == true)
        {
            try
            {
                await queue.FinishIfDoneAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // The local agent finished it at the same moment, or the disk failed; the next scan looks again.
                RelayLog.FinishFailed(logger, id, ex.Message);
            }
        }
    }

    static DsnRecipientReport Report(QueueRecipient recipient, RecipientResult result, DsnAction action, string status, DateTimeOffset now) =>
        new(recipient.Address, recipient.OriginalRecipient, action, status,
            result.RemoteReply ? result.Reason : null, result.RemoteMta, result.Reason, LastAttempt: now);
}

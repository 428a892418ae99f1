using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Queue;
using Tern.Store;

namespace Tern.Delivery.Local;

/// <summary>Takes queued mail for local recipients into their INBOX: at once when an entry is queued, and on every
/// rescan (at start and every <see cref="RelayOptions.IntervalSeconds"/>) for deferred recipients.</summary>
/// <remarks>
/// <para>Each recipient is handled on its own; an alias's users each get one copy (and a user reached twice in one
/// message gets one copy). Targets of an alias in other domains become new pending recipients for the relay.</para>
/// <para>At-least-once: the .env records each account right after the store's append has returned (fsynced). A crash
/// between the two delivers that copy again after the restart; nothing is ever lost or left half-delivered.</para>
/// </remarks>
public sealed class LocalDeliveryAgent(
    TernOptions options, QueueStore queue, IAccountStore accounts, IMailStore store, ILogger<LocalDeliveryAgent> logger,
    Tern.Delivery.Dsn.DsnSender? dsn = null)
    : BackgroundService
{
    readonly Channel<string> work = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });
    readonly Lock gate = new();
    readonly HashSet<string> waiting = new(StringComparer.Ordinal);
    readonly HashSet<string> running = new(StringComparer.Ordinal);
    readonly HashSet<string> again = new(StringComparer.Ordinal);

    /// <summary>Queues an entry for a delivery pass unless one is already waiting. Passes over one entry never overlap
    /// (two at once could both deliver the same recipient); a signal during a pass schedules one more after it.</summary>
    public void Post(string id)
    {
        lock (gate)
        {
            if (running.Contains(id))
                again.Add(id);
            else if (waiting.Add(id))
                work.Writer.TryWrite(id);
        }
    }

    void Started(string id)
    {
        lock (gate)
        {
            waiting.Remove(id);
            running.Add(id);
        }
    }

    void Finished(string id)
    {
        lock (gate)
        {
            running.Remove(id);
            if (again.Remove(id) && waiting.Add(id))
                work.Writer.TryWrite(id);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        queue.Enqueued += Post;
        try
        {
            int workers = Math.Max(4, Environment.ProcessorCount * 2);
            var tasks = Enumerable.Range(0, workers).Select(_ => WorkAsync(stoppingToken)).ToList();
            tasks.Add(RescanAsync(stoppingToken));
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            queue.Enqueued -= Post;
        }
    }

    async Task RescanAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Relay.IntervalSeconds));
        do
        {
            foreach (var id in await queue.ListAsync(stoppingToken).ConfigureAwait(false))
                Post(id);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    async Task WorkAsync(CancellationToken stoppingToken)
    {
        await foreach (var id in work.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
        {
            Started(id);
            try
            {
                await DeliverAsync(id, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // one bad entry must not stop delivery of the others; it is logged and retried on the next scan
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LocalDeliveryLog.PassFailed(logger, ex, id);
            }
            finally
            {
                Finished(id);
            }
        }
    }

    /// <summary>One delivery pass over an entry: every due local recipient, then the entry ends if all are final.</summary>
    async Task DeliverAsync(string id, CancellationToken cancellationToken)
    {
        var envelope = await queue.ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false);
        if (envelope is null)
            return;
        var now = DateTimeOffset.UtcNow;
        bool changed = false;
        bool forwarded = false;
        HeaderList? headers = null;
        // Index-based: the list may grow with an alias's remote targets, which are not ours.
        for (int i = 0; i < envelope.Recipients.Count; i++)
        {
            var recipient = envelope.Recipients[i];
            if (!recipient.IsDue(now))
                continue;
            var resolution = await accounts.ResolveRecipientAsync(recipient.Address, cancellationToken).ConfigureAwait(false);
            switch (resolution.Status)
            {
                case RecipientStatus.NotLocal:
                    continue; // the relay's
                case RecipientStatus.Unknown:
                    envelope = await FailAsync(id, i, "550 5.1.1 No such user here", cancellationToken).ConfigureAwait(false);
                    break;
                case RecipientStatus.Disabled:
                    envelope = await FailAsync(id, i, "550 5.2.1 Mailbox disabled", cancellationToken).ConfigureAwait(false);
                    break;
                case RecipientStatus.Loop:
                    envelope = await FailAsync(id, i, "554 5.4.6 Alias loop detected", cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    headers ??= await ReadHeadersAsync(id, cancellationToken).ConfigureAwait(false);
                    envelope = await DeliverRecipientAsync(id, envelope, i, resolution, headers, cancellationToken).ConfigureAwait(false);
                    forwarded |= resolution.RemoteAddresses.Count > 0;
                    break;
            }
            if (envelope is null)
                return; // removed meanwhile
            changed = true;
        }
        if (changed && !await queue.FinishIfDoneAsync(id, cancellationToken).ConfigureAwait(false) && forwarded)
            queue.NotifyChanged(id); // the relay reads only the entries it is told about (and rescans at its interval)
    }

    async Task<QueueEnvelope?> DeliverRecipientAsync(
        string id, QueueEnvelope envelope, int index, RecipientResolution resolution, HeaderList headers, CancellationToken cancellationToken)
    {
        var recipient = envelope.Recipients[index];
        // One copy per account per message, even when two recipients (alice, and an alias of alice) reach it.
        var done = envelope.Recipients.SelectMany(r => r.DeliveredAccounts).ToHashSet();
        var users = resolution.LocalUsers.Where(u => !done.Contains(u.Id)).ToList();
        for (int u = 0; u < users.Count; u++)
        {
            var user = users[u];
            bool last = u == users.Count - 1;
            string? failure = null;
            // RFC 5321 4.4 / Postfix: a Delivered-To of this very mailbox already in the message means a forwarding loop.
            if (headers.Any(h => h.Field.Equals("Delivered-To", StringComparison.OrdinalIgnoreCase) && string.Equals(h.Value.Trim(), user.Address, StringComparison.OrdinalIgnoreCase)))
            {
                failure = "554 5.4.6 Mail forwarding loop for " + user.Address;
            }
            else
            {
                try
                {
                    var uid = await AppendAsync(id, envelope, user, cancellationToken).ConfigureAwait(false);
                    LocalDeliveryLog.Delivered(logger, id, recipient.Address, user.Id, user.Address, uid);
                }
                catch (MailStoreException ex) when (ex.Error is MailStoreError.OverQuota or MailStoreError.DiskFull)
                {
                    return await DeferAsync(id, index, ex.Error == MailStoreError.OverQuota
                        ? $"452 4.2.2 Mailbox full: {user.Address}" : "452 4.3.1 Insufficient system storage", cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is MailStoreException or IOException or UnauthorizedAccessException)
                {
                    return await DeferAsync(id, index, "451 4.3.0 Local delivery error: " + ex.Message, cancellationToken).ConfigureAwait(false);
                }
            }
            if (failure is not null)
            {
                if (users.Count == 1)
                    return await FailAsync(id, index, failure, cancellationToken).ConfigureAwait(false);
                LocalDeliveryLog.Failed(logger, id, user.Address, failure); // one member of an alias: skip it, deliver the rest
            }

            // The common case, the last copy of the entry's last open recipient: removing the entry records the
            // delivery, so the envelope is not rewritten first (one fsync less per message; the same crash window).
            if (last && resolution.RemoteAddresses.Count == 0
                && envelope.Recipients.Where((r, j) => j != index).All(r => r.State == RecipientState.Delivered))
            {
                await queue.CompleteAsync(id, cancellationToken).ConfigureAwait(false);
                return null;
            }

            // Recorded (fsynced) right after each append: a restart never delivers this copy twice.
            var updated = await queue.UpdateEnvelopeAsync(id, e =>
            {
                var r = e.Recipients[index];
                r.DeliveredAccounts.Add(user.Id);
                r.Attempts++;
                r.LastAttempt = DateTimeOffset.UtcNow;
                if (last)
                    CompleteRecipient(id, e, index, resolution);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            if (updated is null)
                return null;
            envelope = updated;
        }
        if (users.Count == 0)
            return await queue.UpdateEnvelopeAsync(id, e => { CompleteRecipient(id, e, index, resolution); return true; }, cancellationToken).ConfigureAwait(false);
        return envelope;
    }

    /// <summary>Marks a recipient delivered and hands an alias's targets in other domains to the relay.</summary>
    void CompleteRecipient(string id, QueueEnvelope envelope, int index, RecipientResolution resolution)
    {
        var recipient = envelope.Recipients[index];
        recipient.State = RecipientState.Delivered;
        recipient.Reason = null;
        recipient.NextAttempt = null;
        foreach (var target in resolution.RemoteAddresses)
        {
            if (envelope.Recipients.Exists(r => string.Equals(r.Address, target, StringComparison.OrdinalIgnoreCase)))
                continue;
            envelope.Recipients.Add(new QueueRecipient
            {
                Address = target,
                ExpandedFrom = recipient.Address,
                Notify = [.. recipient.Notify],
                OriginalRecipient = recipient.OriginalRecipient ?? "rfc822;" + recipient.Address,
            });
            LocalDeliveryLog.Forwarded(logger, id, recipient.Address, target);
        }
    }

    async Task<long> AppendAsync(string id, QueueEnvelope envelope, UserAccount user, CancellationToken cancellationToken)
    {
        // RFC 5321 4.4: the final delivery adds Return-Path; Delivered-To names the mailbox (Postfix's loop guard).
        var prefix = Encoding.UTF8.GetBytes($"Return-Path: <{envelope.Sender.Address}>\r\nDelivered-To: {user.Address}\r\n");
        await using var account = await store.OpenAccountAsync(user.Id, cancellationToken).ConfigureAwait(false);
        await using var content = new PrefixedStream(prefix, queue.OpenMessage(id));
        var mailbox = await TargetMailboxAsync(account, envelope, cancellationToken).ConfigureAwait(false);
        var result = await account.AppendAsync(mailbox, content, new AppendOptions(InternalDate: envelope.Arrived), cancellationToken).ConfigureAwait(false);
        return result.Uid;
    }

    /// <summary>INBOX, or the envelope's mailbox (Junk for a DMARC quarantine, docs/MAILAUTH.md), created with its
    /// special use when the user deleted it.</summary>
    static async Task<string> TargetMailboxAsync(IMailAccount account, QueueEnvelope envelope, CancellationToken cancellationToken)
    {
        if (envelope.Mailbox is not { Length: > 0 } name || name.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            return "INBOX";
        if (await account.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false) is null)
            await account.CreateMailboxAsync(name, name == "Junk" ? SpecialUse.Junk : SpecialUse.None, cancellationToken).ConfigureAwait(false);
        return name;
    }

    async Task<QueueEnvelope?> DeferAsync(string id, int index, string reason, CancellationToken cancellationToken)
    {
        var relay = options.Relay;
        var current = await queue.ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false);
        if (current is not null && DateTimeOffset.UtcNow - current.Arrived > TimeSpan.FromSeconds(relay.MaxQueueLifetimeSeconds))
        {
            // Past the queue lifetime a deferral becomes a failure, through the one path that also tells the sender.
            var final = reason.Replace("452 4.", "552 5.", StringComparison.Ordinal).Replace("451 4.", "550 5.", StringComparison.Ordinal)
                + " (gave up after the queue lifetime)";
            return await FailAsync(id, index, final, cancellationToken).ConfigureAwait(false);
        }
        return await queue.UpdateEnvelopeAsync(id, e =>
        {
            var r = e.Recipients[index];
            r.Attempts++;
            r.LastAttempt = DateTimeOffset.UtcNow;
            r.Reason = reason;
            double delay = Math.Min(relay.FirstRetryDelaySeconds * Math.Pow(2, Math.Max(0, r.Attempts - 1)), relay.MaxRetryDelaySeconds);
            r.State = RecipientState.Deferred;
            r.NextAttempt = DateTimeOffset.UtcNow.AddSeconds(delay);
            LocalDeliveryLog.Deferred(logger, id, r.Address, reason);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    async Task<QueueEnvelope?> FailAsync(string id, int index, string reason, CancellationToken cancellationToken)
    {
        // RFC 5321 6.1: the sender is told of a failure; the report is queued before the recipient is marked failed,
        // so a crash can duplicate a report but never lose it.
        var envelope = await queue.ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false);
        if (dsn is not null && envelope is not null && index < envelope.Recipients.Count)
        {
            var r = envelope.Recipients[index];
            var status = reason.Length > 9 && char.IsDigit(reason[4]) ? reason[4..reason.IndexOf(' ', 4)] : "5.0.0";
            await dsn.SendAsync(envelope,
                [new Tern.Delivery.Dsn.DsnRecipientReport(r.Address, r.OriginalRecipient, Tern.Delivery.Dsn.DsnAction.Failed, status,
                    "smtp; " + reason, null, reason, DateTimeOffset.UtcNow)],
                cancellationToken).ConfigureAwait(false);
        }
        return await MarkFailedAsync(id, index, reason, cancellationToken).ConfigureAwait(false);
    }

    async Task<QueueEnvelope?> MarkFailedAsync(string id, int index, string reason, CancellationToken cancellationToken) =>
        await queue.UpdateEnvelopeAsync(id, e =>
        {
            var r = e.Recipients[index];
            r.State = RecipientState.Failed;
            r.Reason = reason;
            r.Attempts++;
            r.LastAttempt = DateTimeOffset.UtcNow;
            LocalDeliveryLog.Failed(logger, id, r.Address, reason);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    async Task<HeaderList> ReadHeadersAsync(string id, CancellationToken cancellationToken)
    {
        await using var stream = queue.OpenMessage(id);
        try
        {
            return await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}

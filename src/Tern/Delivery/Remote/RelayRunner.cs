using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Queue;

namespace Tern.Delivery.Remote;

/// <summary>The relay's queue runner: takes new entries at once (the queue's <see cref="QueueStore.Enqueued"/> signal,
/// which names the entry, so only its envelope is read), rescans the queue folder at start and every <c>Relay:IntervalSeconds</c> (which also picks up <c>tern queue retry</c>
/// from another process), and delivers due recipients of non-local domains.</summary>
/// <remarks>Work is grouped by destination domain. Each domain has up to <c>MaxConcurrentPerDomain</c> workers, all
/// domains together up to <c>MaxConcurrentDeliveries</c>; a worker keeps its SMTP session open and sends the domain's
/// next message over it (RFC 5321 3.3 allows many transactions per session).</remarks>
internal sealed class RelayRunner : BackgroundService
{
    readonly TernOptions options;
    readonly QueueStore queue;
    readonly RemoteDelivery delivery;
    readonly IServiceProvider services;
    readonly ILogger<RelayRunner> logger;
    readonly Channel<string> wake = Channel.CreateBounded<string>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite });
    readonly SemaphoreSlim connections;
    readonly Lock gate = new();
    readonly Dictionary<string, DomainQueue> domains = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, byte> inFlight = new(StringComparer.Ordinal);
    readonly List<Task> workers = [];
    CancellationToken hardStop;
    volatile bool missedWake;

    sealed class DomainQueue
    {
        public readonly Queue<string> Ids = new();
        public int Workers;
    }

    public RelayRunner(TernOptions options, QueueStore queue, RemoteDelivery delivery, IServiceProvider services, ILogger<RelayRunner> logger)
    {
        this.options = options;
        this.queue = queue;
        this.delivery = delivery;
        this.services = services;
        this.logger = logger;
        connections = new SemaphoreSlim(options.Relay.MaxConcurrentDeliveries);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Relay.Enabled)
        {
            RelayLog.Disabled(logger);
            return;
        }
        // Sends in progress get most of the shutdown grace to finish and record their result; then they are cut,
        // and their recipients stay pending (sent again after the restart: at-least-once).
        using var hard = new CancellationTokenSource();
        hardStop = hard.Token;
        using var onStop = stoppingToken.Register(() => hard.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, options.ShutdownGraceSeconds - 2))));
        void OnEnqueued(string id)
        {
            if (!wake.Writer.TryWrite(id))
                missedWake = true; // too many at once: the next pass scans the whole folder
        }
        queue.Enqueued += OnEnqueued;
        RelayLog.Started(logger, options.Relay.IntervalSeconds, options.Relay.MaxConcurrentDeliveries, options.Relay.MaxConcurrentPerDomain,
            options.Relay.Port, string.IsNullOrWhiteSpace(options.Relay.Smarthost) ? "" : $", via smarthost {options.Relay.Smarthost}");
        try
        {
            var interval = TimeSpan.FromSeconds(options.Relay.IntervalSeconds);
            IReadOnlyCollection<string>? woken = null;
            long nextFullScan = 0;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // A wake-up reads only the entries it names: a full scan per new entry would read every envelope in
                    // the queue for each message received (quadratic under load). The whole folder is still scanned at
                    // start, every interval, and after a dropped wake-up.
                    if (woken is null || missedWake || Environment.TickCount64 >= nextFullScan)
                    {
                        missedWake = false;
                        nextFullScan = Environment.TickCount64 + (long)interval.TotalMilliseconds;
                        await ScanAsync(stoppingToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await ScanAsync(woken, stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // a failed scan (disk, accounts database) must not stop the host; the next one retries
                catch (Exception ex)
                {
                    RelayLog.ScanFailed(logger, ex);
                }
#pragma warning restore CA1031
                var untilFullScan = TimeSpan.FromMilliseconds(Math.Max(0, nextFullScan - Environment.TickCount64));
                woken = await WaitAsync(untilFullScan, stoppingToken).ConfigureAwait(false);
            }
        }
        finally
        {
            queue.Enqueued -= OnEnqueued;
            Task[] running;
            lock (gate)
                running = [.. workers];
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <summary>Until the interval passes (null: time for a full scan) or entries are queued (their ids; a burst of new
    /// entries is one wake-up).</summary>
    async Task<IReadOnlyCollection<string>?> WaitAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(interval);
        try
        {
            await wake.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (wake.Reader.TryRead(out var id))
            ids.Add(id);
        return ids.Count > 0 ? [.. ids.Order(StringComparer.Ordinal)] : null;
    }

    /// <summary>Reads every envelope and schedules (entry, domain) pairs with due remote recipients.</summary>
    internal async Task ScanAsync(CancellationToken cancellationToken) =>
        await ScanAsync(await queue.ListAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Reads the envelopes of <paramref name="ids"/> (gone ones are skipped) and schedules their due remote
    /// recipients.</summary>
    internal async Task ScanAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var accounts = services.GetService<IAccountStore>();
        var local = new Dictionary<string, bool>(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        foreach (var id in ids)
        {
            QueueEnvelope? envelope;
            try { envelope = await queue.ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false); }
            catch (InvalidDataException) { continue; }
            if (envelope is null)
                continue;
            if (envelope.IsFinished)
            {
                // Left by a crash between the last update and the end of the entry.
                if (!inFlight.Keys.Any(k => k.StartsWith(id, StringComparison.Ordinal)) && envelope.Recipients.All(r => r.LastAttempt is null || r.LastAttempt < now.AddSeconds(-2 * options.Relay.IntervalSeconds)))
                {
                    try { await queue.FinishIfDoneAsync(id, cancellationToken).ConfigureAwait(false); }
                    catch (IOException ex) { RelayLog.FinishFailed(logger, id, ex.Message); }
                }
                continue;
            }
            foreach (var domain in envelope.Recipients.Where(r => r.IsDue(now)).Select(r => RemoteDelivery.DomainOf(r.Address)).Distinct())
            {
                if (domain.Length == 0)
                    continue;
                if (!local.TryGetValue(domain, out var isLocal))
                {
                    isLocal = accounts is not null && await accounts.IsLocalDomainAsync(domain, cancellationToken).ConfigureAwait(false);
                    local[domain] = isLocal;
                }
                if (!isLocal)
                    Schedule(id, domain);
            }
        }
    }

    void Schedule(string id, string domain)
    {
        if (!inFlight.TryAdd(id + "/" + domain, 0))
            return;
        lock (gate)
        {
            if (!domains.TryGetValue(domain, out var work))
                domains[domain] = work = new DomainQueue();
            work.Ids.Enqueue(id);
            if (work.Workers < options.Relay.MaxConcurrentPerDomain && work.Workers < work.Ids.Count)
            {
                work.Workers++;
                var task = Task.Run(() => WorkAsync(domain, work));
                workers.Add(task);
                _ = task.ContinueWith(t => { lock (gate) workers.Remove(t); }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One connection's worth of work for a domain: takes the domain's entries one after the other.</summary>
    async Task WorkAsync(string domain, DomainQueue work)
    {
        var state = new RemoteDelivery.WorkerState();
        bool holding = false;
        try
        {
            await connections.WaitAsync(hardStop).ConfigureAwait(false);
            holding = true;
            while (true)
            {
                string id;
                lock (gate)
                {
                    if (hardStop.IsCancellationRequested || !work.Ids.TryDequeue(out id!))
                    {
                        Retire(domain, work);
                        return;
                    }
                }
                try
                {
                    await delivery.DeliverAsync(id, domain, state, hardStop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
                {
                }
#pragma warning disable CA1031 // one bad entry must not stop the relay; it stays queued and is logged
                catch (Exception ex)
                {
                    RelayLog.DeliveryCrashed(logger, ex, id);
                }
#pragma warning restore CA1031
                finally
                {
                    inFlight.TryRemove(id + "/" + domain, out _);
                }
            }
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
        {
            lock (gate)
                Retire(domain, work);
        }
        finally
        {
            await state.DisposeAsync().ConfigureAwait(false);
            if (holding)
                connections.Release();
        }
    }

    /// <summary>A worker leaves (under <see cref="gate"/>); the last one of a domain forgets what it did not take
    /// (only at shutdown), so the next scan can schedule it again.</summary>
    void Retire(string domain, DomainQueue work)
    {
        work.Workers--;
        if (work.Workers > 0)
            return;
        foreach (var left in work.Ids)
            inFlight.TryRemove(left + "/" + domain, out _);
        work.Ids.Clear();
        domains.Remove(domain);
    }

    public override void Dispose()
    {
        connections.Dispose();
        base.Dispose();
    }
}

using Microsoft.Data.Sqlite;

namespace Tern.Store.FileSystem;

/// <summary>The \Recent boundary of each mailbox (RFC 3501 2.3.2: a message is recent for the first session told of
/// it), claimed in memory and written to the index a moment later.</summary>
/// <remarks>A session claims on SELECT and after every append it is told of; a write transaction for each claim (with
/// the page caches of every read connection dropped after it) was a tenth of an IMAP APPEND's time. Claims are made
/// under one lock, so two sessions never both get a message as recent; they are written by one transaction
/// <see cref="RecentWriteDelay"/> after the first unwritten claim, and at close. Only the server process claims. A process
/// killed in that second forgets its last claims, and the next session sees those messages as recent once more: the
/// flag is a hint to clients (IMAP4rev2 dropped it), and losing a claim never loses or hides a message.</remarks>
internal sealed partial class AccountHub
{
    /// <summary>How long after a claim the claims made meanwhile are written.</summary>
    internal static TimeSpan RecentWriteDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Mailbox id → first UID not yet claimed, for claims not yet written to the index.</summary>
    readonly Dictionary<long, long> recentClaims = [];
    int recentWriteScheduled;

    public Task<long> ClaimRecentAsync(long mailboxId, CancellationToken cancellationToken)
    {
        long stored, uidNext;
        using (var reader = RentReader())
        using (var r = reader.Prepared("SELECT recent_uid, uidnext FROM mailboxes WHERE id = $id", ("$id", mailboxId)).ExecuteReader())
        {
            if (!r.Read())
                throw new MailStoreException(MailStoreError.NotFound, $"no mailbox with id {mailboxId}");
            stored = r.GetInt64(0);
            uidNext = r.GetInt64(1);
        }
        long recentFrom;
        lock (recentClaims)
        {
            recentFrom = recentClaims.TryGetValue(mailboxId, out var claimed) ? Math.Max(stored, claimed) : stored;
            // Nothing new for this session. The boundary, not this read's UIDNEXT: a claim made after an append this read
            // did not see is above it, and those messages are another session's.
            if (recentFrom >= uidNext)
                return Task.FromResult(recentFrom);
            recentClaims[mailboxId] = uidNext;
        }
        ScheduleRecentWrite();
        return Task.FromResult(recentFrom);
    }

    /// <summary>The first recent UID of a mailbox: the index's boundary, or a later one claimed but not yet written.</summary>
    long RecentBoundary(long mailboxId, long stored)
    {
        lock (recentClaims)
            return recentClaims.TryGetValue(mailboxId, out var claimed) ? Math.Max(stored, claimed) : stored;
    }

    void ScheduleRecentWrite()
    {
        if (Interlocked.CompareExchange(ref recentWriteScheduled, 1, 0) != 0)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(RecentWriteDelay, lifetime.Token).ConfigureAwait(false);
                // Claims from here on schedule a write of their own.
                Volatile.Write(ref recentWriteScheduled, 0);
                var written = await WriteAsync((tx, _) => WriteRecentClaims(tx), lifetime.Token, durable: false).ConfigureAwait(false);
                ForgetWrittenClaims(written);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SqliteException)
            {
                // Closing (DisposeAsync writes the claims), or the index failed: the next claim tries again.
                Volatile.Write(ref recentWriteScheduled, 0);
            }
        });
    }

    /// <summary>Writes the claims made so far in <paramref name="tx"/>; returns them.</summary>
    KeyValuePair<long, long>[] WriteRecentClaims(SqliteTransaction tx)
    {
        KeyValuePair<long, long>[] claims;
        lock (recentClaims)
            claims = [.. recentClaims];
        foreach (var (mailboxId, recentUid) in claims)
            tx.Execute("UPDATE mailboxes SET recent_uid = max(recent_uid, $n) WHERE id = $id", ("$n", recentUid), ("$id", mailboxId));
        return claims;
    }

    /// <summary>Drops the claims now in the index (not those raised again meanwhile).</summary>
    void ForgetWrittenClaims(KeyValuePair<long, long>[] written)
    {
        lock (recentClaims)
        {
            foreach (var (mailboxId, recentUid) in written)
            {
                if (recentClaims.TryGetValue(mailboxId, out var now) && now == recentUid)
                    recentClaims.Remove(mailboxId);
            }
        }
    }
}

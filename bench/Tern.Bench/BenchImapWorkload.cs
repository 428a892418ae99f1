using System.Diagnostics;

namespace Tern.Bench;

/// <summary>A mixed IMAP client load: concurrent sessions on one INBOX, each doing what a mail client does,
/// as fast as the server answers, for the round's duration.</summary>
/// <remarks>The mix, per operation: 30% UID FETCH FLAGS of 20 messages, 20% UID FETCH of four header fields of 20
/// messages, 15% UID FETCH of one whole body, 15% UID STORE of a flag, 8% UID SEARCH (by flag or by subject),
/// 6% APPEND of a 5 KB message, 4% EXPUNGE of a message this session appended, 2% SELECT again. What a
/// session appends it expunges before it ends, so every round sees the same mailbox.</remarks>
public static class BenchImapWorkload
{
    /// <returns>Operations per second over every session.</returns>
    public static async Task<double> RunAsync(BenchTarget target, int sessions, CancellationToken cancellationToken)
    {
        var logins = new BenchImapSession[sessions];
        try
        {
            // Log every session in first (not timed), a few at a time, as clients arrive.
            using (var gate = new SemaphoreSlim(20))
            {
                await Task.WhenAll(Enumerable.Range(0, sessions).Select(async i =>
                {
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        logins[i] = await BenchImapSession.LoginAsync(target, cancellationToken);
                        await logins[i].SelectAsync("INBOX", cancellationToken);
                    }
                    finally { gate.Release(); }
                }));
            }
            var watch = Stopwatch.StartNew();
            var deadline = DateTime.UtcNow + target.Duration;
            var counts = await Task.WhenAll(logins.Select((s, i) => RunSessionAsync(s, i, deadline, cancellationToken)));
            watch.Stop();
            return counts.Sum() / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await Task.WhenAll(logins.Where(s => s is not null).Select(s => s.DisposeAsync().AsTask()));
        }
    }

    static async Task<long> RunSessionAsync(BenchImapSession session, int index, DateTime deadline, CancellationToken cancellationToken)
    {
        var random = new Random(1000 + index);
        var appended = new List<long>();
        bool uidPlus = session.Has("UIDPLUS");
        long maxUid = Math.Max(1, session.UidNext - 1);
        long ops = 0;
        int appendNumber = 0;
        while (DateTime.UtcNow < deadline)
        {
            int pick = random.Next(100);
            long uid = 1 + random.NextInt64(maxUid);
            long last = Math.Min(maxUid, uid + 19);
            BenchImapResponse response;
            if (pick < 30)
                response = await session.CommandAsync($"UID FETCH {uid}:{last} (FLAGS)", cancellationToken);
            else if (pick < 50)
                response = await session.CommandAsync($"UID FETCH {uid}:{last} (BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])", cancellationToken);
            else if (pick < 65)
                response = await session.CommandAsync($"UID FETCH {uid} (BODY.PEEK[])", cancellationToken);
            else if (pick < 80)
                response = await session.CommandAsync($"UID STORE {uid} {(random.Next(2) == 0 ? '+' : '-')}FLAGS.SILENT (\\Flagged)", cancellationToken);
            else if (pick < 88)
                response = await session.CommandAsync(random.Next(2) == 0 ? "UID SEARCH FLAGGED" : "UID SEARCH SUBJECT \"harbour\"", cancellationToken);
            else if (pick < 94)
            {
                var message = BenchCorpus.Message(1_000_000 + index * 10_000 + appendNumber++, 5 * 1024, "imap@bench.test");
                (response, long newUid) = await session.AppendAsync("INBOX", message, cancellationToken);
                if (newUid > 0)
                    appended.Add(newUid);
            }
            else if (pick < 98 && appended.Count > 0 && uidPlus)
            {
                long victim = appended[^1];
                appended.RemoveAt(appended.Count - 1);
                response = await ExpungeAsync(session, victim, cancellationToken);
            }
            else
                response = await session.SelectAsync("INBOX", cancellationToken);
            if (!response.Ok)
                throw new InvalidOperationException($"IMAP: {response.Status} {response.Text}");
            ops++;
        }
        foreach (var uid in appended)
            await ExpungeAsync(session, uid, cancellationToken);
        return ops;
    }

    /// <summary>UID STORE \Deleted then UID EXPUNGE (RFC 4315), so only this message goes.</summary>
    static async Task<BenchImapResponse> ExpungeAsync(BenchImapSession session, long uid, CancellationToken cancellationToken)
    {
        var flag = await session.CommandAsync($"UID STORE {uid} +FLAGS.SILENT (\\Deleted)", cancellationToken);
        return flag.Ok ? await session.CommandAsync($"UID EXPUNGE {uid}", cancellationToken) : flag;
    }
}

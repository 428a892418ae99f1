namespace Tern.Bench;

/// <summary>The registry: every row of the results table, in order. Wiring a workload is one line here.</summary>
/// <remarks>
/// A network workload gets a <see cref="BenchTarget"/> (host, port, user, password, duration) once per round
/// and per server and returns one number; the harness interleaves Tern and the reference (A B A B), samples
/// resident memory meanwhile and reports median, spread and the ratio. An in-process workload gets the
/// <see cref="BenchContext"/> and runs Tern's code alone. For example:
/// <code>
/// Workload.InProcess("Parser: 1,000 SMTP command lines", "lines/s", (c, ct) => ParserBenchmark.RunAsync(c.Duration)),
/// Workload.Network("IMAP mixed, 10 sessions", "ops/s", BenchService.Imap,
///     (t, ct) => BenchImapWorkload.RunAsync(t, sessions: 10, ct), imap1k),
/// </code>
/// </remarks>
public static class Workloads
{
    public static IReadOnlyList<Workload> All(BenchContext c)
    {
        int smtpMessages = c.Quick ? 200 : 1_000;
        var smtpUser = new MailboxSpec("smtp");
        var popRetr = new MailboxSpec("pop-retr", c.Quick ? 50 : 1_000, 10 * 1024, 1024 * 1024);
        var popList = new MailboxSpec("pop-list", c.Quick ? 1_000 : 10_000, 2 * 1024, 4 * 1024);
        var imap1k = new MailboxSpec("imap-1k", 1_000, 2 * 1024, 64 * 1024);
        var imapBig = new MailboxSpec("imap-big", c.Quick ? 2_000 : 100_000, 2 * 1024, 6 * 1024);
        var idle = new MailboxSpec("imap-idle", 10);
        int idleSessions = c.Quick ? 50 : 1_000;
        var analyzerCorpus = new MailboxSpec("analyzer", c.Quick ? 50 : 200, 10 * 1024, 1024 * 1024);

        var all = new List<Workload>
        {
            Workload.Network($"SMTP: {smtpMessages:N0} msgs of 10 KB, 10 sessions (smtp-source)", "msgs/s", BenchService.Smtp,
                (t, ct) => BenchSmtpSource.RunAsync(t, smtpMessages, sessions: 10, size: 10 * 1024, ct), smtpUser, withCeiling: true),
            Workload.Network($"SMTP: {smtpMessages:N0} msgs of 10 KB, 10 sessions, PIPELINING (SmtpBenchmark)", "msgs/s", BenchService.Smtp,
                async (t, ct) => Accepted(await SmtpBenchmark.RunAsync(t.Host, t.Port, 10, smtpMessages, 10 * 1024, t.User), smtpMessages), smtpUser),
            Workload.Network($"POP3: RETR all of {popRetr.Messages:N0} msgs, 10 KB-1 MB", "MB/s", BenchService.Pop3,
                BenchPop3Workload.RetrieveAllAsync, popRetr),
            Workload.Network($"POP3: login + LIST + UIDL of {popList.Messages:N0} msgs", "ms", BenchService.Pop3,
                BenchPop3Workload.ListAndUidlAsync, popList, higherIsBetter: false),
            Workload.Network("IMAP: mixed ops, 1 session, 1,000 msgs", "ops/s", BenchService.Imap,
                (t, ct) => BenchImapWorkload.RunAsync(t, sessions: 1, ct), imap1k),
            // Before the 100,000-message workloads: the server's resident memory should show the sessions, not the
            // caches and heap those leave behind. One round: it barely varies, and Dovecot's 1,000 processes are slow to start.
            Workload.Network($"IMAP: resident memory with {idleSessions:N0} idle sessions (IDLE)", "MB", BenchService.Imap,
                (t, ct) => BenchImapIdleWorkload.RunAsync(t, idleSessions, ct), idle, higherIsBetter: false, warmup: false) with { MaxRounds = 1 },
            Workload.Network("IMAP: mixed ops, 10 sessions, 1,000 msgs", "ops/s", BenchService.Imap,
                (t, ct) => BenchImapWorkload.RunAsync(t, sessions: 10, ct), imap1k),
            Workload.Network($"IMAP: mixed ops, 10 sessions, {imapBig.Messages:N0} msgs", "ops/s", BenchService.Imap,
                (t, ct) => BenchImapWorkload.RunAsync(t, sessions: 10, ct), imapBig) with { MaxRounds = 3 },
            Workload.Network($"IMAP: UID SORT (DATE), {imapBig.Messages:N0} msgs", "ms", BenchService.Imap,
                (t, ct) => BenchImapSortWorkload.RunAsync(t, "UID SORT (DATE) UTF-8 ALL", "SORT", ct), imapBig, higherIsBetter: false),
            Workload.Network($"IMAP: UID THREAD REFERENCES, {imapBig.Messages:N0} msgs", "ms", BenchService.Imap,
                (t, ct) => BenchImapSortWorkload.RunAsync(t, "UID THREAD REFERENCES UTF-8 ALL", "THREAD=REFERENCES", ct), imapBig, higherIsBetter: false),
            // A word in no message: the whole mailbox must be ruled out (the worst case for a scan).
            Workload.Network($"IMAP: UID SEARCH BODY rare word, {imapBig.Messages:N0} msgs", "ms", BenchService.Imap,
                (t, ct) => BenchImapSortWorkload.RunAsync(t, "UID SEARCH BODY \"albatross\"", null, ct), imapBig, higherIsBetter: false) with { MaxRounds = 3 },
            Workload.Network("IMAP: UID SEARCH SUBJECT, 1,000 msgs", "ms", BenchService.Imap,
                (t, ct) => BenchImapSortWorkload.RunAsync(t, "UID SEARCH SUBJECT \"harbour\"", null, ct), imap1k, higherIsBetter: false),
            Workload.Network($"IMAP: QRESYNC reselect after 1,000 flag changes, {imapBig.Messages:N0} msgs", "ms", BenchService.Imap,
                BenchImapSyncWorkload.QresyncReselectAsync, imapBig, higherIsBetter: false),
            Workload.Network("Store: durable appends of 10 KB, one at a time, up to 10,000 (Tern's store / doveadm save)", "msgs/s",
                BenchService.Imap, BenchStoreAppendWorkload.RunAsync, new MailboxSpec("store-save"), warmup: false) with { MaxRounds = 2 },
            Workload.InProcess("Store: parse at delivery (MessageAnalyzer), 10 KB-1 MB msgs, 1 thread", "MB/s",
                (ctx, ct) => BenchAnalyzerWorkload.RunAsync(ctx, analyzerCorpus, ct)),
        };
        if (!c.Quick)
        {
            // Issue 3's store figures at 100,000 messages; its 10,500 durable appends take too long for --quick.
            all.Insert(all.FindIndex(w => w.RunInProcess is not null) + 1,
                Workload.InProcessMany("Store (in process)", (ctx, ct) => StoreBenchmark.RunAsync(100_000, ctx.WorkDir), maxRounds: 1));
            // A hundred sessions take long to log in and out on two cores: full runs only, three rounds.
            all.Insert(all.FindIndex(w => w.Mailbox == imapBig), Workload.Network("IMAP: mixed ops, 100 sessions, 1,000 msgs", "ops/s",
                BenchService.Imap, (t, ct) => BenchImapWorkload.RunAsync(t, sessions: 100, ct), imap1k) with { MaxRounds = 3 });
        }
        return all;
    }

    /// <summary>A rate counts only if every message was accepted.</summary>
    static double Accepted((double MessagesPerSecond, int Sent) result, int messages) => result.Sent == messages
        ? result.MessagesPerSecond
        : throw new InvalidOperationException($"only {result.Sent} of {messages} messages accepted");
}

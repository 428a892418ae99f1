using System.Diagnostics;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace Tern.Bench;

/// <summary>IMAP load generator: concurrent MailKit sessions doing a mixed workload (SELECT, FETCH of flags, headers
/// and bodies, STORE, SEARCH, APPEND, EXPUNGE) against any IMAP server (Tern or Dovecot) on plaintext IMAP.</summary>
public static class ImapBenchmark
{
    /// <summary>Runs <paramref name="sessions"/> sessions for <paramref name="duration"/>; returns operations per second.</summary>
    /// <remarks>Each session fills its INBOX to at least 50 messages first (not timed), so a run on an empty account
    /// still exercises FETCH and SEARCH.</remarks>
    public static async Task<double> RunAsync(string host, int port, string user, string password, int sessions, TimeSpan duration)
    {
        var clients = new List<ImapClient>();
        for (int i = 0; i < sessions; i++)
        {
            var client = new ImapClient { Timeout = 60_000 };
            await client.ConnectAsync(host, port, SecureSocketOptions.None).ConfigureAwait(false);
            await client.AuthenticateAsync(user, password).ConfigureAwait(false);
            clients.Add(client);
        }
        var seed = clients[0].Inbox;
        await seed.OpenAsync(FolderAccess.ReadWrite).ConfigureAwait(false);
        for (int i = seed.Count; i < 50; i++)
            await seed.AppendAsync(Message(i), MessageFlags.None).ConfigureAwait(false);

        long operations = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = clients.Select((client, index) => Task.Run(async () =>
        {
            var random = new Random(index);
            var inbox = client.Inbox;
            await inbox.OpenAsync(FolderAccess.ReadWrite).ConfigureAwait(false);
            long done = 0;
            while (stopwatch.Elapsed < duration)
            {
                try
                {
                    await OneAsync(inbox, random).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is MessageNotFoundException or ImapCommandException)
                {
                    // Another session expunged the message meanwhile: a NO is a completed operation too.
                }
                done++;
            }
            Interlocked.Add(ref operations, done);
        })).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        foreach (var client in clients)
        {
            await client.DisconnectAsync(true).ConfigureAwait(false);
            client.Dispose();
        }
        return operations / seconds;
    }

    static async Task OneAsync(IMailFolder inbox, Random random)
    {
        int count = inbox.Count;
        int roll = random.Next(100);
        if (count == 0 || roll < 10)
        {
            await inbox.AppendAsync(Message(random.Next()), MessageFlags.None).ConfigureAwait(false);
            return;
        }
        int seq = random.Next(count);
        switch (roll)
        {
            case < 15:
                await inbox.OpenAsync(FolderAccess.ReadWrite).ConfigureAwait(false); // SELECT
                break;
            case < 40:
                await inbox.FetchAsync(Math.Max(0, count - 20), -1, new FetchRequest(MessageSummaryItems.Flags | MessageSummaryItems.UniqueId)).ConfigureAwait(false);
                break;
            case < 60:
                await inbox.FetchAsync(Math.Max(0, seq - 10), seq, new FetchRequest(MessageSummaryItems.Envelope | MessageSummaryItems.BodyStructure | MessageSummaryItems.Size)).ConfigureAwait(false);
                break;
            case < 75:
                using (await inbox.GetStreamAsync(seq, "").ConfigureAwait(false)) { } // BODY.PEEK[]
                break;
            case < 85:
                await inbox.AddFlagsAsync(seq, MessageFlags.Seen, true).ConfigureAwait(false);
                break;
            case < 95:
                await inbox.SearchAsync(SearchQuery.NotSeen.And(SearchQuery.LargerThan(100))).ConfigureAwait(false);
                break;
            default:
                if (count > 60)
                {
                    await inbox.AddFlagsAsync(seq, MessageFlags.Deleted, true).ConfigureAwait(false);
                    await inbox.ExpungeAsync().ConfigureAwait(false);
                }
                else
                {
                    await inbox.SearchAsync(SearchQuery.Flagged).ConfigureAwait(false);
                }
                break;
        }
    }

    static MimeMessage Message(int n)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress("Bench", "bench@example.org"));
        m.To.Add(new MailboxAddress("Target", "target@example.org"));
        m.Subject = $"Benchmark message {n}";
        m.Body = new TextPart("plain") { Text = string.Join("\r\n", Enumerable.Range(0, 40).Select(i => $"Line {i} of message {n}.")) };
        return m;
    }
}

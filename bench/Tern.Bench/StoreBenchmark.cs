using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Tern.Configuration;
using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Bench;

/// <summary>The message store on a large mailbox (issue 3 targets: open under 100 ms at 100,000 messages, all UIDs and
/// flags under 1 s, a flag set on 10,000 messages under 1 s, durable appends at least as fast as doveadm save).</summary>
public static class StoreBenchmark
{
    /// <param name="messageCount">Messages in the mailbox before the measurements (100,000 in the issue).</param>
    /// <param name="workDir">A folder for the store; a subfolder is created and deleted.</param>
    public static async Task<IReadOnlyList<(string Name, double Value, string Unit)>> RunAsync(int messageCount, string workDir)
    {
        var results = new List<(string, double, string)>();
        var dir = Path.Combine(workDir, "store-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var options = new TernOptions { DataDirectory = dir };
        try
        {
            // Set-up (not measured as an append rate): bulk load, one syncfs per 5,000 messages.
            var fill = Stopwatch.StartNew();
            await using (var store = new FileSystemMailStore(options))
            {
                var account = (AccountHandle)await store.OpenAccountAsync(1);
                var start = DateTimeOffset.UtcNow.AddDays(-messageCount / 1000.0);
                await account.BulkAppendAsync("INBOX", Enumerable.Range(0, messageCount).Select(i =>
                    (Message(i, 2048), new AppendOptions(i % 3 == 0 ? MessageFlags.Seen : MessageFlags.None, null, start.AddSeconds(i)))), 5000, default);
                await account.DisposeAsync();
            }
            results.Add(("store.fill (bulk, set-up)", messageCount / fill.Elapsed.TotalSeconds, "msgs/s"));
            SqliteConnection.ClearAllPools();
            Collect();

            await using (var store = new FileSystemMailStore(options))
            {
                var first = Stopwatch.StartNew();
                var account = await store.OpenAccountAsync(1);
                results.Add(($"store.account_open_cold ({messageCount} msgs, with reconcile)", first.Elapsed.TotalMilliseconds, "ms"));

                // What SELECT needs: the mailbox and its counts.
                var open = new List<double>();
                for (int i = 0; i < 5; i++)
                {
                    var sw = Stopwatch.StartNew();
                    var mailbox = (await account.GetMailboxAsync("INBOX"))!;
                    var status = await account.GetStatusAsync("INBOX");
                    open.Add(sw.Elapsed.TotalMilliseconds);
                    if (status.Messages != messageCount) throw new InvalidOperationException($"expected {messageCount} messages, found {status.Messages}");
                    _ = mailbox;
                }
                results.Add(($"store.mailbox_open ({messageCount} msgs, median of 5)", Median(open), "ms"));

                var inbox = (await account.GetMailboxAsync("INBOX"))!;
                var uidsTimes = new List<double>();
                IReadOnlyList<MessageInfo> all = [];
                for (int i = 0; i < 3; i++)
                {
                    var sw = Stopwatch.StartNew();
                    all = await account.GetMessagesAsync(inbox.Id);
                    uidsTimes.Add(sw.Elapsed.TotalMilliseconds);
                }
                results.Add(($"store.all_uids_flags ({all.Count} msgs, median of 3)", Median(uidsTimes), "ms"));
                all = [];
                Collect();
                results.Add(("store.rss_after_open_and_uid_list", Environment.WorkingSet / 1048576.0, "MB"));

                int flagCount = Math.Min(10_000, messageCount);
                var flags = Stopwatch.StartNew();
                var stored = await account.StoreFlagsAsync(inbox.Id, UidSet.Range(1, flagCount), new FlagChange(FlagOperation.Add, MessageFlags.Flagged, []));
                results.Add(($"store.flag_set ({stored.Updated.Count} msgs, one command)", flags.Elapsed.TotalMilliseconds, "ms"));

                var keywordUids = Enumerable.Range(0, flagCount).Select(i => (long)(messageCount - i * Math.Max(1, messageCount / flagCount))).Where(u => u > 0).ToList();
                var scattered = Stopwatch.StartNew();
                await account.StoreFlagsAsync(inbox.Id, new UidSet(keywordUids.Select(u => (u, u))), new FlagChange(FlagOperation.Add, MessageFlags.None, ["$Bench"]));
                results.Add(($"store.keyword_set ({keywordUids.Count} scattered UIDs)", scattered.Elapsed.TotalMilliseconds, "ms"));

                // Durable appends of 10 KB messages: file fsync + directory fsync + index commit before each returns.
                var body = Message(-1, 10 * 1024);
                int sequential = 500;
                var seq = Stopwatch.StartNew();
                for (int i = 0; i < sequential; i++)
                    await account.AppendAsync("INBOX", new MemoryStream(body, writable: false), new AppendOptions());
                results.Add(("store.append_10k_durable (1 writer)", sequential / seq.Elapsed.TotalSeconds, "msgs/s"));

                int appendCount = 10_000, writers = 16;
                int next = 0;
                var conc = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
                {
                    while (Interlocked.Increment(ref next) <= appendCount)
                        await account.AppendAsync("INBOX", new MemoryStream(body, writable: false), new AppendOptions());
                })));
                results.Add(($"store.append_10k_durable ({writers} writers, {appendCount} msgs)", appendCount / conc.Elapsed.TotalSeconds, "msgs/s"));
                Collect();
                results.Add(("store.rss_end", Environment.WorkingSet / 1048576.0, "MB"));
                await account.DisposeAsync();
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return results;
    }

    /// <summary>Full, compacting collection that also returns free memory to the OS, so RSS shows what is live.</summary>
    static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>A plain message of about <paramref name="size"/> octets, CRLF line ends.</summary>
    static byte[] Message(int n, int size)
    {
        var text = new StringBuilder();
        text.Append("From: Bench <bench@example.org>\r\nTo: user@example.com\r\n")
            .Append("Subject: benchmark message ").Append(n).Append("\r\nMessage-ID: <bench-").Append(n).Append("@example.org>\r\n")
            .Append("Date: Fri, 27 Nov 2026 08:00:00 +0000\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
        while (text.Length < size)
            text.Append("The quick brown fox jumps over the lazy dog, again and again, for benchmark purposes.\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}

using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using Tern.Bench.Servers;
using Tern.Configuration;
using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Bench;

/// <summary>Issue 3's append bar: durable appends of one 10 KB message at a time, Tern's store (in this process, a
/// scratch store: temporary file, fsync, rename, directory fsync, index commit before each returns) beside Dovecot's
/// <c>doveadm save</c> into its Maildir (one process per message: that is how the tool takes a message).</summary>
/// <remarks>Up to 10,000 messages, time-boxed (quick: 3 s, full: 8 s a round), so the rate is what counts.</remarks>
public static class BenchStoreAppendWorkload
{
    const int MaxMessages = 10_000;

    public static async Task<double> RunAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        var budget = TimeSpan.FromSeconds(target.Quick ? 3 : 8);
        var message = Message(10 * 1024);
        if (target.Instance is DovecotBenchServer dovecot)
            return await dovecot.SaveAsync(target.User, message, MaxMessages, budget, cancellationToken);
        if (target.Server != "Tern")
            throw new MissingException($"no store append workload for {target.Server}");
        return await TernAppendRateAsync(target.Context.WorkDir, Encoding.ASCII.GetBytes(message), budget, cancellationToken);
    }

    static async Task<double> TernAppendRateAsync(string workDir, byte[] message, TimeSpan budget, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(workDir, "store-append-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            await using var store = new FileSystemMailStore(new TernOptions { DataDirectory = dir });
            await using var account = await store.OpenAccountAsync(1, cancellationToken);
            var watch = Stopwatch.StartNew();
            int saved = 0;
            while (saved < MaxMessages && watch.Elapsed < budget)
            {
                await account.AppendAsync("INBOX", new MemoryStream(message, writable: false), new AppendOptions(), cancellationToken);
                saved++;
            }
            return saved / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A 10 KB corpus message with LF line ends, as a local tool would be given it (doveadm and Tern's store
    /// both store CRLF-normalised or as given; the octet counts differ by the line ends only).</summary>
    static string Message(int size) =>
        Encoding.ASCII.GetString(BenchCorpus.Message(0, size, "store-save@bench.test")).Replace("\r\n", "\n", StringComparison.Ordinal);
}

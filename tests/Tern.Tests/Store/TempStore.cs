using System.Text;
using Microsoft.Data.Sqlite;
using Tern.Configuration;
using Tern.Store;
using Tern.Store.FileSystem;

namespace Tern.Tests.Store;

/// <summary>A real <see cref="FileSystemMailStore"/> over a temporary data folder, deleted on dispose.</summary>
public sealed class TempStore : IAsyncDisposable
{
    public TempStore(long quotaBytes = 0)
    {
        Directory = Path.Combine(Path.GetTempPath(), "tern-store-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        Options = new TernOptions { DataDirectory = Directory };
        QuotaBytes = quotaBytes;
        Store = NewStore();
    }

    public string Directory { get; }
    public TernOptions Options { get; }
    public long QuotaBytes { get; set; }
    public FileSystemMailStore Store { get; private set; }

    FileSystemMailStore NewStore() => new(Options, null, (_, _) => Task.FromResult(QuotaBytes));

    public string AccountDirectory(long id) => Store.AccountDirectory(id);

    /// <summary>One number from account 1's index, read on a connection of its own (read-only, not pooled), as a
    /// tool outside the store would see it.</summary>
    public long IndexScalar(string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(AccountDirectory(1), "index.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Stops the store cleanly and starts a new one over the same folder.</summary>
    public async Task RestartAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Store = NewStore();
    }

    /// <summary>As <see cref="RestartAsync"/>, but leaves the disk as a crash would: no clean-shutdown marker, so the next
    /// open checks every file against the index.</summary>
    public async Task CrashAsync(long accountId = 1)
    {
        await RestartAsync();
        File.Delete(Path.Combine(AccountDirectory(accountId), "clean-shutdown"));
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static MemoryStream Message(string subject, string body = "Hello.", string? extraHeaders = null) =>
        new(Encoding.UTF8.GetBytes(
            $"From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.org>\r\n" +
            $"Date: Fri, 27 Nov 2026 08:00:00 +0000\r\n{extraHeaders}\r\n{body}\r\n"));

    public static async Task<string> ReadAllAsync(IMailAccount account, long mailboxId, long uid)
    {
        await using var stream = await account.OpenMessageAsync(mailboxId, uid);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}

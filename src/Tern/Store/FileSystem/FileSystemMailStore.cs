using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tern.Accounts;
using Tern.Configuration;

namespace Tern.Store.FileSystem;

/// <summary>The default mail store: under <c>&lt;data&gt;/accounts/&lt;id&gt;/</c>, one plain RFC 5322 file per message
/// (<c>messages/</c>) and an SQLite index (<c>index.db</c>), plus the recovery snapshot that lets the index be rebuilt.</summary>
public sealed class FileSystemMailStore : IMailStore, IAsyncDisposable
{
    readonly TernOptions options;
    readonly ILogger logger;
    readonly Func<long, CancellationToken, Task<long>> quotaLookup;
    readonly ConcurrentDictionary<long, Lazy<Task<AccountHub>>> hubs = new();
    readonly SemaphoreSlim lifecycle = new(1, 1);
    readonly HeaderCache headers;

    /// <summary>The store as the server uses it: an account's quota comes from <see cref="IAccountStore"/> when one is registered.</summary>
    public FileSystemMailStore(TernOptions options, ILogger<FileSystemMailStore> logger, IServiceProvider services)
        : this(options, logger, (id, ct) => LookupQuotaAsync(services, id, ct))
    {
    }

    /// <param name="quotaLookup">The storage quota of an account in octets (0: unlimited).</param>
    public FileSystemMailStore(TernOptions options, ILogger? logger = null, Func<long, CancellationToken, Task<long>>? quotaLookup = null)
    {
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        this.quotaLookup = quotaLookup ?? ((_, _) => Task.FromResult(0L));
        headers = new HeaderCache(options.Store.HeaderCacheBytes);
    }

    static async Task<long> LookupQuotaAsync(IServiceProvider services, long accountId, CancellationToken cancellationToken)
    {
        // Resolved lazily: the account store may itself depend on the mail store (removing a user removes its mail).
        var accounts = services.GetService<IAccountStore>();
        if (accounts is null) return 0;
        var user = await accounts.FindUserByIdAsync(accountId, cancellationToken).ConfigureAwait(false);
        return user?.QuotaBytes ?? 0;
    }

    /// <summary>The top-level headers kept in memory for every account (Store:HeaderCacheBytes).</summary>
    internal HeaderCache HeaderCache => headers;

    public string AccountsDirectory => options.ResolveDataPath("accounts");

    public string AccountDirectory(long accountId) =>
        Path.Combine(AccountsDirectory, accountId.ToString(CultureInfo.InvariantCulture));

    public async Task<IMailAccount> OpenAccountAsync(long accountId, CancellationToken cancellationToken = default)
    {
        var hub = await GetHubAsync(accountId, cancellationToken).ConfigureAwait(false);
        return hub.NewHandle();
    }

    async Task<AccountHub> GetHubAsync(long accountId, CancellationToken cancellationToken)
    {
        if (accountId <= 0)
            throw new ArgumentOutOfRangeException(nameof(accountId), "account ids are positive");
        while (true)
        {
            var lazy = hubs.GetOrAdd(accountId, id => new Lazy<Task<AccountHub>>(() => CreateHubAsync(id)));
            try
            {
                return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (lazy.Value.IsFaulted)
            {
                hubs.TryRemove(KeyValuePair.Create(accountId, lazy));
                throw;
            }
        }
    }

    async Task<AccountHub> CreateHubAsync(long accountId)
    {
        var hub = new AccountHub(accountId, AccountDirectory(accountId), options.Store, quotaLookup, logger) { Headers = headers };
        await hub.OpenAsync(CancellationToken.None).ConfigureAwait(false);
        return hub;
    }

    /// <summary>Closes an account's hub if it is open (before a reindex or delete). Open handles stop working.</summary>
    async Task CloseHubAsync(long accountId)
    {
        if (hubs.TryRemove(accountId, out var lazy) && lazy.IsValueCreated)
        {
            try
            {
                var hub = await lazy.Value.ConfigureAwait(false);
                await hub.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MailStoreException or SqliteException or IOException) { }
        }
    }

    public async Task DeleteAccountAsync(long accountId, CancellationToken cancellationToken = default)
    {
        await lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CloseHubAsync(accountId).ConfigureAwait(false);
            var dir = AccountDirectory(accountId);
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        finally
        {
            lifecycle.Release();
        }
    }

    /// <summary>Accounts that have mail on disk.</summary>
    public IReadOnlyList<long> ListAccountIds()
    {
        if (!Directory.Exists(AccountsDirectory)) return [];
        return Directory.EnumerateDirectories(AccountsDirectory)
            .Select(d => long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0)
            .Where(id => id > 0).Order().ToList();
    }

    /// <summary>Compares index and files; with <paramref name="fix"/>, repairs what it found (the same repair as at open).</summary>
    public async Task<StoreVerifyReport> VerifyAsync(long accountId, bool fix, CancellationToken cancellationToken = default)
    {
        var dir = AccountDirectory(accountId);
        if (!Directory.Exists(dir))
            throw new MailStoreException(MailStoreError.NotFound, $"account {accountId} has no mail folder");
        if (!File.Exists(Path.Combine(dir, "index.db")))
        {
            if (!fix) return new StoreVerifyReport(accountId, ["index.db is missing (run with --fix or 'tern store reindex')"], false);
            var rebuilt = await ReindexAsync(accountId, cancellationToken).ConfigureAwait(false);
            return new StoreVerifyReport(accountId, [$"index.db was missing: rebuilt with {rebuilt.Messages} messages"], true);
        }
        AccountHub hub;
        try
        {
            hub = await GetHubAsync(accountId, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            return new StoreVerifyReport(accountId, [$"index unreadable: {ex.Message}"], false);
        }
        // Opening already reconciled (and fixed) what it found; the report says what is left.
        var report = await hub.ExclusiveAsync(connection => Reconciler.Run(hub, connection, apply: fix), cancellationToken).ConfigureAwait(false);
        return new StoreVerifyReport(accountId, report.Problems, fix);
    }

    /// <summary>Rebuilds an account's index from its message files (the old index, if readable, supplies flags and UIDs).</summary>
    public async Task<StoreReindexReport> ReindexAsync(long accountId, CancellationToken cancellationToken = default)
    {
        Reindexer.Result result;
        await lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CloseHubAsync(accountId).ConfigureAwait(false);
            var hub = new AccountHub(accountId, AccountDirectory(accountId), options.Store, quotaLookup, logger) { Headers = headers };
            if (!Directory.Exists(hub.Root))
                throw new MailStoreException(MailStoreError.NotFound, $"account {accountId} has no mail folder");
            result = Reindexer.Rebuild(hub);
        }
        finally
        {
            lifecycle.Release();
        }
        // The rebuilt index has no search text yet: fill it now rather than on each mailbox's first search.
        var opened = await GetHubAsync(accountId, cancellationToken).ConfigureAwait(false);
        await opened.EnsureTextIndexedAsync(null, cancellationToken).ConfigureAwait(false);
        return new StoreReindexReport(accountId, result.Messages, result.Mailboxes, result.KeptUids, result.OldIndexKeptAs);
    }

    /// <summary>Writes every open account's recovery snapshot now (also done at dispose).</summary>
    public async Task FlushSnapshotsAsync()
    {
        foreach (var lazy in hubs.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                (await lazy.Value.ConfigureAwait(false)).WriteSnapshot();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in hubs.Keys.ToList())
            await CloseHubAsync(id).ConfigureAwait(false);
    }
}

public sealed record StoreVerifyReport(long AccountId, IReadOnlyList<string> Problems, bool Fixed)
{
    public bool Clean => Problems.Count == 0;
}

public sealed record StoreReindexReport(long AccountId, int Messages, int Mailboxes, bool KeptUids, string? OldIndexKeptAs);

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tern.Configuration;

namespace Tern.Accounts;

/// <summary>Domains, users and aliases in <c>&lt;data&gt;/tern.db</c> (SQLite, WAL).</summary>
/// <remarks>Every operation opens its own (pooled) connection and reads the database afresh, so a change made by
/// <c>tern user ...</c> in another process is seen by the running server at its next lookup; nothing is cached.</remarks>
public sealed partial class SqliteAccountStore : IAccountStore, IDisposable
{
    /// <summary>The database file name inside the data folder.</summary>
    public const string FileName = "tern.db";

    readonly string connectionString;
    readonly PasswordHasher hasher;
    readonly TernOptions options;
    readonly ILogger logger;
    readonly SemaphoreSlim schemaLock = new(1, 1);
    volatile bool schemaReady;

    public SqliteAccountStore(TernOptions options, PasswordHasher hasher, ILogger<SqliteAccountStore>? logger = null)
    {
        this.options = options;
        this.hasher = hasher;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        DatabasePath = Path.Combine(options.FullDataDirectory, FileName);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            // Seconds a statement waits for another process's write lock (SQLITE_BUSY is retried until then).
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DatabasePath { get; }

    // ---- domains ----

    public async Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT name, created FROM domains ORDER BY name;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var domains = new List<DomainInfo>();
        while (await reader.ReadAsync(cancellationToken))
            domains.Add(new DomainInfo(reader.GetString(0), FromUnixMilliseconds(reader.GetInt64(1))));
        return domains;
    }

    public async Task AddDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        var name = AccountAddress.NormalizeDomain(domain);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "INSERT INTO domains (name, created) VALUES ($name, $created) ON CONFLICT(name) DO NOTHING;",
            ("$name", name), ("$created", NowUnixMilliseconds()));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            throw new AccountException($"the domain {name} already exists");
        AccountsLog.DomainAdded(logger, name);
    }

    public async Task<bool> RemoveDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (!AccountAddress.TryNormalizeDomain(domain, out var name, out _))
            return false;
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await WriteTransaction.BeginAsync(connection, cancellationToken);
        long users = await ScalarAsync(connection, "SELECT COUNT(*) FROM users WHERE domain = $name;", cancellationToken, ("$name", name));
        long aliases = await ScalarAsync(connection, "SELECT COUNT(DISTINCT source) FROM aliases WHERE domain = $name;", cancellationToken, ("$name", name));
        if (users > 0 || aliases > 0)
        {
            throw new AccountException(
                $"the domain {name} still has {Plural(users, "user")} and {Plural(aliases, "alias", "aliases")}; remove them first");
        }
        await using var command = Command(connection, "DELETE FROM domains WHERE name = $name;", ("$name", name));
        bool removed = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        await transaction.CommitAsync(cancellationToken);
        if (removed)
            AccountsLog.DomainRemoved(logger, name);
        return removed;
    }

    public async Task<bool> IsLocalDomainAsync(string domain, CancellationToken cancellationToken = default)
    {
        if (!AccountAddress.TryNormalizeDomain(domain, out var name, out _))
            return false;
        await using var connection = await OpenAsync(cancellationToken);
        return await IsLocalDomainAsync(connection, name, cancellationToken);
    }

    static async Task<bool> IsLocalDomainAsync(SqliteConnection connection, string normalizedDomain, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, "SELECT COUNT(*) FROM domains WHERE name = $name;", cancellationToken, ("$name", normalizedDomain)) > 0;

    // ---- users ----

    const string UserColumns = "id, address, enabled, quota_bytes, created";

    public async Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT {UserColumns} FROM users ORDER BY domain, address;");
        return await ReadUsersAsync(command, cancellationToken);
    }

    public async Task<UserAccount?> FindUserAsync(string address, CancellationToken cancellationToken = default)
    {
        if (!AccountAddress.TryNormalize(address, out var normalized, out _))
            return null;
        await using var connection = await OpenAsync(cancellationToken);
        return await FindUserAsync(connection, normalized, cancellationToken);
    }

    public async Task<UserAccount?> FindUserByIdAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT {UserColumns} FROM users WHERE id = $id;", ("$id", id));
        var users = await ReadUsersAsync(command, cancellationToken);
        return users.Count > 0 ? users[0] : null;
    }

    public async Task<UserAccount> AddUserAsync(string address, string password, long quotaBytes = 0, CancellationToken cancellationToken = default)
    {
        var normalized = AccountAddress.Normalize(address);
        var domain = AccountAddress.DomainOf(normalized);
        if (string.IsNullOrEmpty(password))
            throw new AccountException("the password is empty");
        if (quotaBytes < 0)
            throw new AccountException("the quota cannot be negative");
        if (quotaBytes == 0)
            quotaBytes = options.Store.DefaultQuotaBytes;
        // Hashing is the slow part; done before the write lock is taken.
        var hash = hasher.Hash(password);

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await WriteTransaction.BeginAsync(connection, cancellationToken);
        if (!await IsLocalDomainAsync(connection, domain, cancellationToken))
            throw new AccountException($"{domain} is not a local domain; add it first with: tern domain add {domain}");
        if (await FindUserAsync(connection, normalized, cancellationToken) is not null)
            throw new AccountException($"the user {normalized} already exists");
        if (await ScalarAsync(connection, "SELECT COUNT(*) FROM aliases WHERE source = $address;", cancellationToken, ("$address", normalized)) > 0)
            throw new AccountException($"{normalized} is an alias; remove it first with: tern alias remove {normalized}");

        await using var command = Command(connection,
            "INSERT INTO users (address, domain, password_hash, enabled, quota_bytes, created) " +
            "VALUES ($address, $domain, $hash, 1, $quota, $created) RETURNING " + UserColumns + ";",
            ("$address", normalized), ("$domain", domain), ("$hash", hash), ("$quota", quotaBytes), ("$created", NowUnixMilliseconds()));
        var user = (await ReadUsersAsync(command, cancellationToken))[0];
        await transaction.CommitAsync(cancellationToken);
        AccountsLog.UserAdded(logger, user.Address, user.Id);
        return user;
    }

    public async Task SetPasswordAsync(string address, string password, CancellationToken cancellationToken = default)
    {
        var normalized = AccountAddress.Normalize(address);
        if (string.IsNullOrEmpty(password))
            throw new AccountException("the password is empty");
        var hash = hasher.Hash(password);
        await using var connection = await OpenAsync(cancellationToken);
        await UpdateUserAsync(connection, normalized, "password_hash = $value", hash, cancellationToken);
        AccountsLog.PasswordChanged(logger, normalized);
    }

    public async Task SetEnabledAsync(string address, bool enabled, CancellationToken cancellationToken = default)
    {
        var normalized = AccountAddress.Normalize(address);
        await using var connection = await OpenAsync(cancellationToken);
        await UpdateUserAsync(connection, normalized, "enabled = $value", enabled ? 1 : 0, cancellationToken);
        AccountsLog.UserEnabledChanged(logger, normalized, enabled);
    }

    public async Task SetQuotaAsync(string address, long quotaBytes, CancellationToken cancellationToken = default)
    {
        var normalized = AccountAddress.Normalize(address);
        if (quotaBytes < 0)
            throw new AccountException("the quota cannot be negative");
        await using var connection = await OpenAsync(cancellationToken);
        await UpdateUserAsync(connection, normalized, "quota_bytes = $value", quotaBytes, cancellationToken);
    }

    public async Task<bool> RemoveUserAsync(string address, CancellationToken cancellationToken = default)
    {
        if (!AccountAddress.TryNormalize(address, out var normalized, out _))
            return false;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM users WHERE address = $address;", ("$address", normalized));
        bool removed = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (removed)
            AccountsLog.UserRemoved(logger, normalized);
        return removed;
    }

    public async Task<UserAccount?> VerifyPasswordAsync(string address, string password, CancellationToken cancellationToken = default)
    {
        string? storedHash = null;
        UserAccount? user = null;
        if (AccountAddress.TryNormalize(address, out var normalized, out _))
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection,
                $"SELECT {UserColumns}, password_hash FROM users WHERE address = $address;", ("$address", normalized));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                user = ReadUser(reader);
                storedHash = reader.GetString(5);
            }
        }
        // An unknown user costs one hash computation too, so timing does not tell which addresses exist.
        bool matches = hasher.Verify(password ?? "", storedHash ?? hasher.DummyHash);
        if (user is null || !matches || !user.Enabled)
            return null;
        if (hasher.NeedsRehash(storedHash!))
            await UpgradeHashAsync(user, password!, cancellationToken);
        return user;
    }

    /// <summary>After a raise of the iteration count, a user's hash is upgraded at its next successful login.</summary>
    async Task UpgradeHashAsync(UserAccount user, string password, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "UPDATE users SET password_hash = $hash WHERE id = $id;",
            ("$hash", hasher.Hash(password)), ("$id", user.Id));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    static async Task UpdateUserAsync(SqliteConnection connection, string address, string assignment, object value, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"UPDATE users SET {assignment} WHERE address = $address;",
            ("$address", address), ("$value", value));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            throw new AccountException($"no such user: {address}");
    }

    static async Task<UserAccount?> FindUserAsync(SqliteConnection connection, string normalizedAddress, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"SELECT {UserColumns} FROM users WHERE address = $address;", ("$address", normalizedAddress));
        var users = await ReadUsersAsync(command, cancellationToken);
        return users.Count > 0 ? users[0] : null;
    }

    static async Task<List<UserAccount>> ReadUsersAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<UserAccount>();
        while (await reader.ReadAsync(cancellationToken))
            users.Add(ReadUser(reader));
        return users;
    }

    static UserAccount ReadUser(SqliteDataReader reader) =>
        new(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2) != 0, reader.GetInt64(3), FromUnixMilliseconds(reader.GetInt64(4)));

    // ---- plumbing ----

    /// <summary>A pooled connection, the schema created on the first use by this instance.</summary>
    async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            if (!schemaReady)
                Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
            await connection.OpenAsync(cancellationToken);
            if (!schemaReady)
            {
                await schemaLock.WaitAsync(cancellationToken);
                try
                {
                    if (!schemaReady)
                    {
                        await AccountSchema.EnsureAsync(connection, cancellationToken);
                        schemaReady = true;
                    }
                }
                finally
                {
                    schemaLock.Release();
                }
            }
            return connection;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            await connection.DisposeAsync();
            throw new AccountException($"cannot open {DatabasePath}: {ex.Message}");
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return command;
    }

    static async Task<long> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    static long NowUnixMilliseconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    static DateTimeOffset FromUnixMilliseconds(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    static string Plural(long count, string one, string? many = null) => count == 1 ? $"1 {one}" : $"{count} {many ?? one + "s"}";

    /// <summary>Closes the pooled connections, so the database file is released (tests delete their folders).</summary>
    public void Dispose()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }
}

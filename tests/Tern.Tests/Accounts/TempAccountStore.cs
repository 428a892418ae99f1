using Tern.Accounts;
using Tern.Configuration;

namespace Tern.Tests.Accounts;

/// <summary>A real <see cref="SqliteAccountStore"/> in a temporary data folder, with cheap password hashing.</summary>
public sealed class TempAccountStore : IDisposable
{
    public TempAccountStore(Action<TernOptions>? configure = null, string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "tern-accounts-" + Guid.NewGuid().ToString("N")[..12]);
        Options = new TernOptions { DataDirectory = DataDirectory, HostName = "mail.test.example" };
        Options.Auth.PasswordIterations = 1000;
        configure?.Invoke(Options);
        Directory.CreateDirectory(DataDirectory);
        Hasher = new PasswordHasher(Options);
        Store = new SqliteAccountStore(Options, Hasher);
    }

    public string DataDirectory { get; }
    public TernOptions Options { get; }
    public PasswordHasher Hasher { get; }
    public SqliteAccountStore Store { get; }

    /// <summary>Adds the domain if needed, then the user.</summary>
    public async Task<UserAccount> AddUserAsync(string address, string password = "secret-password", long quota = 0)
    {
        var domain = AccountAddress.DomainOf(AccountAddress.Normalize(address));
        if (!await Store.IsLocalDomainAsync(domain))
            await Store.AddDomainAsync(domain);
        return await Store.AddUserAsync(address, password, quota);
    }

    public void Dispose()
    {
        Store.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset now = start;

    public ManualTimeProvider() : this(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

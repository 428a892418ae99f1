using Microsoft.Data.Sqlite;
using Tern.Accounts;

namespace Tern.Tests.Accounts;

public sealed class AccountStoreTests : IDisposable
{
    readonly TempAccountStore accounts = new();
    SqliteAccountStore Store => accounts.Store;

    [Fact]
    public async Task Database_is_created_on_first_use_in_wal_mode_with_a_schema_version()
    {
        Assert.Empty(await Store.ListDomainsAsync());
        Assert.True(File.Exists(Path.Combine(accounts.DataDirectory, "tern.db")));
        await using var connection = new SqliteConnection($"Data Source={Store.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        command.CommandText = "PRAGMA user_version;";
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Database_of_a_newer_schema_version_is_refused_with_a_clear_message()
    {
        await using (var connection = new SqliteConnection($"Data Source={Store.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version=99;";
            await command.ExecuteNonQueryAsync();
        }
        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.ListDomainsAsync());
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Domains_are_added_listed_and_removed_case_insensitively()
    {
        await Store.AddDomainAsync(" Example.COM ");
        await Store.AddDomainAsync("other.org");
        Assert.Equal(["example.com", "other.org"], (await Store.ListDomainsAsync()).Select(d => d.Name));
        Assert.True(await Store.IsLocalDomainAsync("EXAMPLE.com"));
        Assert.False(await Store.IsLocalDomainAsync("example.net"));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddDomainAsync("example.com"));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddDomainAsync("not a domain"));
        Assert.True(await Store.RemoveDomainAsync("OTHER.org"));
        Assert.False(await Store.RemoveDomainAsync("other.org"));
        Assert.Equal(["example.com"], (await Store.ListDomainsAsync()).Select(d => d.Name));
    }

    [Fact]
    public async Task Domain_with_users_or_aliases_cannot_be_removed()
    {
        await accounts.AddUserAsync("alice@example.com");
        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.RemoveDomainAsync("example.com"));
        Assert.Equal("the domain example.com still has 1 user and 0 aliases; remove them first", ex.Message);

        await Store.RemoveUserAsync("alice@example.com");
        await Store.AddAliasAsync("info@example.com", ["someone@elsewhere.org"]);
        ex = await Assert.ThrowsAsync<AccountException>(() => Store.RemoveDomainAsync("example.com"));
        Assert.Contains("1 alias", ex.Message, StringComparison.Ordinal);

        await Store.RemoveAliasAsync("info@example.com");
        Assert.True(await Store.RemoveDomainAsync("example.com"));
    }

    [Fact]
    public async Task User_is_added_normalised_and_found_by_address_or_id()
    {
        await Store.AddDomainAsync("example.com");
        var user = await Store.AddUserAsync(" Alice@EXAMPLE.com ", "pw", 1000);
        Assert.Equal("Alice@example.com", user.Address);
        Assert.True(user.Enabled);
        Assert.Equal(1000, user.QuotaBytes);
        Assert.True(user.Created > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(user, await Store.FindUserAsync("alice@example.com"));
        Assert.Equal(user, await Store.FindUserByIdAsync(user.Id));
        Assert.Null(await Store.FindUserAsync("bob@example.com"));
        Assert.Null(await Store.FindUserAsync("garbage"));
        Assert.Null(await Store.FindUserByIdAsync(user.Id + 100));
        Assert.Equal([user], await Store.ListUsersAsync());
    }

    [Fact]
    public async Task User_of_a_domain_that_is_not_local_is_refused()
    {
        var ex = await Assert.ThrowsAsync<AccountException>(() => Store.AddUserAsync("alice@example.com", "pw"));
        Assert.Contains("example.com is not a local domain", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_user_empty_password_and_bad_address_are_refused()
    {
        await accounts.AddUserAsync("alice@example.com");
        await Assert.ThrowsAsync<AccountException>(() => Store.AddUserAsync("ALICE@example.com", "pw"));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddUserAsync("bob@example.com", ""));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddUserAsync("bob smith@example.com", "pw"));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddUserAsync("bob@example.com", "pw", -1));
    }

    [Fact]
    public async Task Quota_zero_takes_the_configured_default()
    {
        using var withDefault = new TempAccountStore(o => o.Store.DefaultQuotaBytes = 5_000_000);
        var user = await withDefault.AddUserAsync("alice@example.com");
        Assert.Equal(5_000_000, user.QuotaBytes);
        await withDefault.Store.SetQuotaAsync("alice@example.com", 0);
        Assert.Equal(0, (await withDefault.Store.FindUserAsync("alice@example.com"))!.QuotaBytes);
    }

    [Fact]
    public async Task Password_enabled_and_quota_can_be_changed()
    {
        await accounts.AddUserAsync("alice@example.com", "old-password");
        await Store.SetPasswordAsync("alice@example.com", "new-password");
        Assert.Null(await Store.VerifyPasswordAsync("alice@example.com", "old-password"));
        Assert.NotNull(await Store.VerifyPasswordAsync("ALICE@example.com", "new-password"));

        await Store.SetEnabledAsync("alice@example.com", false);
        Assert.False((await Store.FindUserAsync("alice@example.com"))!.Enabled);
        Assert.Null(await Store.VerifyPasswordAsync("alice@example.com", "new-password"));
        await Store.SetEnabledAsync("alice@example.com", true);
        Assert.NotNull(await Store.VerifyPasswordAsync("alice@example.com", "new-password"));

        await Store.SetQuotaAsync("alice@example.com", 42);
        Assert.Equal(42, (await Store.FindUserAsync("alice@example.com"))!.QuotaBytes);

        await Assert.ThrowsAsync<AccountException>(() => Store.SetPasswordAsync("nobody@example.com", "pw"));
        await Assert.ThrowsAsync<AccountException>(() => Store.SetEnabledAsync("nobody@example.com", false));
    }

    [Fact]
    public async Task Password_is_stored_only_as_a_hash()
    {
        await accounts.AddUserAsync("alice@example.com", "Plain-Text-Secret");
        Store.Dispose();
        var bytes = await File.ReadAllBytesAsync(Store.DatabasePath);
        var wal = Store.DatabasePath + "-wal";
        if (File.Exists(wal))
            bytes = [.. bytes, .. await File.ReadAllBytesAsync(wal)];
        Assert.Equal(-1, System.Text.Encoding.Latin1.GetString(bytes).IndexOf("Plain-Text-Secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Removed_user_id_is_never_reused()
    {
        var first = await accounts.AddUserAsync("alice@example.com");
        Assert.True(await Store.RemoveUserAsync("alice@example.com"));
        Assert.False(await Store.RemoveUserAsync("alice@example.com"));
        var second = await accounts.AddUserAsync("alice@example.com");
        Assert.True(second.Id > first.Id);
    }

    [Fact]
    public async Task Change_made_by_another_store_instance_is_seen_at_once()
    {
        await accounts.AddUserAsync("alice@example.com", "first");
        Assert.NotNull(await Store.VerifyPasswordAsync("alice@example.com", "first"));

        using var other = new SqliteAccountStore(accounts.Options, accounts.Hasher);
        await other.SetPasswordAsync("alice@example.com", "second");
        await other.AddUserAsync("bob@example.com", "pw");

        Assert.Null(await Store.VerifyPasswordAsync("alice@example.com", "first"));
        Assert.NotNull(await Store.VerifyPasswordAsync("alice@example.com", "second"));
        Assert.NotNull(await Store.FindUserAsync("bob@example.com"));
    }

    [Fact]
    public async Task Concurrent_first_use_by_two_instances_creates_the_schema_once()
    {
        using var a = new SqliteAccountStore(accounts.Options, accounts.Hasher);
        using var b = new SqliteAccountStore(accounts.Options, accounts.Hasher);
        await Task.WhenAll(
            Task.Run(() => a.AddDomainAsync("a.example")),
            Task.Run(() => b.AddDomainAsync("b.example")),
            Task.Run(() => Store.ListUsersAsync()));
        Assert.Equal(2, (await Store.ListDomainsAsync()).Count);
    }

    public void Dispose() => accounts.Dispose();
}

using Tern.Accounts;

namespace Tern.Tests.Accounts;

public sealed class AliasResolutionTests : IDisposable
{
    readonly TempAccountStore accounts = new();
    SqliteAccountStore Store => accounts.Store;

    async Task<(UserAccount Alice, UserAccount Bob)> TwoUsersAsync()
    {
        var alice = await accounts.AddUserAsync("alice@example.com");
        var bob = await accounts.AddUserAsync("bob@example.com");
        return (alice, bob);
    }

    static void AssertFound(RecipientResolution resolution, IEnumerable<UserAccount> users, params string[] remote)
    {
        Assert.Equal(RecipientStatus.Found, resolution.Status);
        Assert.Equal(users.Select(u => u.Id).Order(), resolution.LocalUsers.Select(u => u.Id).Order());
        Assert.Equal(remote.Order(), resolution.RemoteAddresses.Order());
    }

    [Fact]
    public async Task User_resolves_to_itself_ignoring_case()
    {
        var (alice, _) = await TwoUsersAsync();
        AssertFound(await Store.ResolveRecipientAsync("ALICE@Example.Com"), [alice]);
    }

    [Fact]
    public async Task Other_domain_is_not_local_and_unknown_local_address_is_unknown()
    {
        await TwoUsersAsync();
        Assert.Equal(RecipientStatus.NotLocal, (await Store.ResolveRecipientAsync("alice@elsewhere.org")).Status);
        Assert.Equal(RecipientStatus.Unknown, (await Store.ResolveRecipientAsync("carol@example.com")).Status);
        Assert.Equal(RecipientStatus.Unknown, (await Store.ResolveRecipientAsync("not an address")).Status);
    }

    [Fact]
    public async Task Disabled_user_resolves_as_disabled()
    {
        await TwoUsersAsync();
        await Store.SetEnabledAsync("bob@example.com", false);
        var resolution = await Store.ResolveRecipientAsync("bob@example.com");
        Assert.Equal(RecipientStatus.Disabled, resolution.Status);
        Assert.Empty(resolution.LocalUsers);
    }

    [Fact]
    public async Task Alias_expands_to_local_and_remote_targets_without_duplicates()
    {
        var (alice, bob) = await TwoUsersAsync();
        await Store.AddAliasAsync("team@example.com", ["alice@example.com", "Bob@Example.com", "partner@Elsewhere.ORG"]);
        await Store.AddAliasAsync("all@example.com", ["team@example.com", "alice@example.com"]);
        AssertFound(await Store.ResolveRecipientAsync("team@example.com"), [alice, bob], "partner@elsewhere.org");
        AssertFound(await Store.ResolveRecipientAsync("all@example.com"), [alice, bob], "partner@elsewhere.org");
    }

    [Fact]
    public async Task Adding_to_an_alias_merges_targets()
    {
        await TwoUsersAsync();
        await Store.AddAliasAsync("team@example.com", ["alice@example.com"]);
        await Store.AddAliasAsync("team@example.com", ["bob@example.com", "alice@example.com"]);
        var alias = Assert.Single(await Store.ListAliasesAsync());
        Assert.Equal("team@example.com", alias.Source);
        Assert.Equal(["alice@example.com", "bob@example.com"], alias.Targets);
    }

    [Fact]
    public async Task Catch_all_takes_only_addresses_that_are_neither_users_nor_aliases()
    {
        var (alice, bob) = await TwoUsersAsync();
        await Store.AddAliasAsync("@example.com", ["alice@example.com"]);
        await Store.AddAliasAsync("sales@example.com", ["bob@example.com"]);
        AssertFound(await Store.ResolveRecipientAsync("anything@example.com"), [alice]);
        AssertFound(await Store.ResolveRecipientAsync("sales@example.com"), [bob]);
        AssertFound(await Store.ResolveRecipientAsync("bob@example.com"), [bob]);
    }

    [Fact]
    public async Task Catch_all_written_with_a_star_is_the_same_catch_all()
    {
        var (alice, _) = await TwoUsersAsync();
        await Store.AddAliasAsync("*@example.com", ["alice@example.com"]);
        Assert.Equal("@example.com", Assert.Single(await Store.ListAliasesAsync()).Source);
        AssertFound(await Store.ResolveRecipientAsync("whoever@example.com"), [alice]);
        Assert.True(await Store.RemoveAliasAsync("@example.com"));
    }

    [Fact]
    public async Task Chain_of_aliases_is_followed_up_to_ten_levels()
    {
        var (alice, _) = await TwoUsersAsync();
        // a0 -> a1 -> ... -> a9 -> alice: ten aliases.
        for (int i = 0; i < 10; i++)
            await Store.AddAliasAsync($"a{i}@example.com", [i == 9 ? "alice@example.com" : $"a{i + 1}@example.com"]);
        AssertFound(await Store.ResolveRecipientAsync("a0@example.com"), [alice]);

        // One more level is too deep.
        await Store.AddAliasAsync("deeper@example.com", ["a0@example.com"]);
        Assert.Equal(RecipientStatus.Loop, (await Store.ResolveRecipientAsync("deeper@example.com")).Status);
    }

    [Fact]
    public async Task Alias_loop_is_detected()
    {
        await TwoUsersAsync();
        await Store.AddAliasAsync("ping@example.com", ["pong@example.com", "alice@example.com"]);
        await Store.AddAliasAsync("pong@example.com", ["ping@example.com"]);
        var resolution = await Store.ResolveRecipientAsync("ping@example.com");
        Assert.Equal(RecipientStatus.Loop, resolution.Status);
        Assert.Empty(resolution.LocalUsers);
    }

    [Fact]
    public async Task Catch_all_pointing_at_a_missing_address_of_its_own_domain_is_a_loop_not_a_hang()
    {
        await TwoUsersAsync();
        await Store.AddAliasAsync("@example.com", ["postmaster@example.com"]);
        Assert.Equal(RecipientStatus.Loop, (await Store.ResolveRecipientAsync("x@example.com")).Status);
    }

    [Fact]
    public async Task Alias_to_a_disabled_user_only_is_disabled_and_to_unknown_targets_only_is_unknown()
    {
        var (alice, _) = await TwoUsersAsync();
        await Store.SetEnabledAsync("bob@example.com", false);
        await Store.AddAliasAsync("b@example.com", ["bob@example.com"]);
        await Store.AddAliasAsync("gone@example.com", ["removed@example.com"]);
        await Store.AddAliasAsync("mixed@example.com", ["bob@example.com", "alice@example.com"]);
        Assert.Equal(RecipientStatus.Disabled, (await Store.ResolveRecipientAsync("b@example.com")).Status);
        Assert.Equal(RecipientStatus.Unknown, (await Store.ResolveRecipientAsync("gone@example.com")).Status);
        AssertFound(await Store.ResolveRecipientAsync("mixed@example.com"), [alice]);
    }

    [Fact]
    public async Task Alias_rules_are_enforced()
    {
        await TwoUsersAsync();
        await Assert.ThrowsAsync<AccountException>(() => Store.AddAliasAsync("x@elsewhere.org", ["alice@example.com"]));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddAliasAsync("@elsewhere.org", ["alice@example.com"]));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddAliasAsync("x@example.com", []));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddAliasAsync("x@example.com", ["not an address"]));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddAliasAsync("x@example.com", ["X@example.com"]));
        await Assert.ThrowsAsync<AccountException>(() => Store.AddAliasAsync("alice@example.com", ["bob@example.com"]));
        await Store.AddAliasAsync("carol@example.com", ["bob@example.com"]);
        await Assert.ThrowsAsync<AccountException>(() => Store.AddUserAsync("carol@example.com", "pw"));
        Assert.False(await Store.RemoveAliasAsync("nothing@example.com"));
        Assert.True(await Store.RemoveAliasAsync("CAROL@example.com"));
        Assert.Empty(await Store.ListAliasesAsync());
    }

    [Fact]
    public async Task Send_as_addresses_are_the_user_and_the_aliases_that_reach_it()
    {
        var (alice, bob) = await TwoUsersAsync();
        await Store.AddAliasAsync("info@example.com", ["alice@example.com", "bob@example.com"]);
        await Store.AddAliasAsync("sales@example.com", ["info@example.com"]);
        await Store.AddAliasAsync("support@example.com", ["bob@example.com"]);
        await Store.AddAliasAsync("@example.com", ["alice@example.com"]);

        Assert.Equal(["alice@example.com", "info@example.com", "sales@example.com"], await Store.GetSendAsAddressesAsync(alice));
        Assert.Equal(["bob@example.com", "info@example.com", "sales@example.com", "support@example.com"], await Store.GetSendAsAddressesAsync(bob));
    }

    public void Dispose() => accounts.Dispose();
}

using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Accounts;

public sealed class AuthenticatorTests : IDisposable
{
    static readonly IPAddress Client = IPAddress.Parse("192.0.2.20");
    readonly TempAccountStore accounts;
    readonly TestLogSink log = new();

    public AuthenticatorTests()
    {
        accounts = new TempAccountStore(o =>
        {
            o.Auth.FailureDelayMilliseconds = 0;
            o.Auth.MaxFailuresPerIp = 3;
            o.Auth.LockoutSeconds = 60;
        });
    }

    Authenticator Create(TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var factory = LoggerFactory.Create(b => b.AddProvider(log).SetMinimumLevel(LogLevel.Trace));
        return new Authenticator(accounts.Store, new LoginThrottle(accounts.Options, time), accounts.Options, time,
            factory.CreateLogger<Authenticator>());
    }

    [Fact]
    public async Task Right_password_succeeds_with_the_user()
    {
        var user = await accounts.AddUserAsync("alice@example.com", "right-password");
        var result = await Create().AuthenticateAsync("Alice@Example.com", "right-password", Client);
        Assert.True(result.Succeeded);
        Assert.Equal(user.Id, result.User!.Id);
    }

    [Fact]
    public async Task Unknown_user_wrong_password_and_disabled_user_fail_alike()
    {
        await accounts.AddUserAsync("alice@example.com", "right-password");
        await accounts.AddUserAsync("carol@example.com", "right-password");
        await accounts.Store.SetEnabledAsync("carol@example.com", false);
        var authenticator = Create();

        var wrong = await authenticator.AuthenticateAsync("alice@example.com", "wrong", Client);
        var unknown = await authenticator.AuthenticateAsync("nobody@example.com", "wrong", IPAddress.Parse("192.0.2.21"));
        var disabled = await authenticator.AuthenticateAsync("carol@example.com", "right-password", IPAddress.Parse("192.0.2.22"));

        Assert.Equal(new AuthenticationResult(AuthenticationOutcome.Failed, null), wrong);
        Assert.Equal(new AuthenticationResult(AuthenticationOutcome.Failed, null), unknown);
        Assert.Equal(new AuthenticationResult(AuthenticationOutcome.Failed, null), disabled);
    }

    [Fact]
    public async Task Unknown_user_costs_one_hash_computation_like_a_wrong_password()
    {
        await accounts.AddUserAsync("alice@example.com", "right-password");
        long before = accounts.Hasher.Computations;
        Assert.Null(await accounts.Store.VerifyPasswordAsync("alice@example.com", "wrong"));
        long forWrongPassword = accounts.Hasher.Computations - before;

        before = accounts.Hasher.Computations;
        Assert.Null(await accounts.Store.VerifyPasswordAsync("nobody@example.com", "wrong"));
        long forUnknownUser = accounts.Hasher.Computations - before;

        before = accounts.Hasher.Computations;
        Assert.Null(await accounts.Store.VerifyPasswordAsync("not an address", "wrong"));
        long forMalformedName = accounts.Hasher.Computations - before;

        Assert.Equal(1, forWrongPassword);
        Assert.Equal(forWrongPassword, forUnknownUser);
        Assert.Equal(forWrongPassword, forMalformedName);
    }

    [Fact]
    public async Task Every_failure_is_answered_after_the_configured_delay()
    {
        using var slow = new TempAccountStore(o => o.Auth.FailureDelayMilliseconds = 150);
        await slow.AddUserAsync("alice@example.com", "right-password");
        var authenticator = new Authenticator(slow.Store, new LoginThrottle(slow.Options, TimeProvider.System), slow.Options,
            TimeProvider.System, LoggerFactory.Create(_ => { }).CreateLogger<Authenticator>());

        foreach (var (address, password) in new[] { ("alice@example.com", "wrong"), ("nobody@example.com", "wrong") })
        {
            var watch = Stopwatch.StartNew();
            var result = await authenticator.AuthenticateAsync(address, password, Client);
            Assert.Equal(AuthenticationOutcome.Failed, result.Outcome);
            Assert.True(watch.ElapsedMilliseconds >= 140, $"{address} answered after {watch.ElapsedMilliseconds} ms");
        }
        var success = Stopwatch.StartNew();
        Assert.True((await authenticator.AuthenticateAsync("alice@example.com", "right-password", Client)).Succeeded);
        Assert.True(success.ElapsedMilliseconds < 140, $"success took {success.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Client_over_its_failure_budget_is_locked_out_even_with_the_right_password()
    {
        await accounts.AddUserAsync("alice@example.com", "right-password");
        var time = new ManualTimeProvider();
        var authenticator = Create(time);
        for (int i = 0; i < 3; i++)
            Assert.Equal(AuthenticationOutcome.Failed, (await authenticator.AuthenticateAsync("alice@example.com", "guess" + i, Client)).Outcome);

        long before = accounts.Hasher.Computations;
        var locked = await authenticator.AuthenticateAsync("alice@example.com", "right-password", Client);
        Assert.Equal(new AuthenticationResult(AuthenticationOutcome.LockedOut, null), locked);
        Assert.Equal(before, accounts.Hasher.Computations); // the password was not even checked

        // Another client is not affected; and once the window has passed, the right password works again.
        Assert.True((await authenticator.AuthenticateAsync("alice@example.com", "right-password", IPAddress.Loopback)).Succeeded);
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.True((await authenticator.AuthenticateAsync("alice@example.com", "right-password", Client)).Succeeded);
    }

    [Fact]
    public async Task Success_resets_the_failure_count_of_the_client()
    {
        await accounts.AddUserAsync("alice@example.com", "right-password");
        var authenticator = Create();
        for (int round = 0; round < 3; round++)
        {
            await authenticator.AuthenticateAsync("alice@example.com", "wrong", Client);
            await authenticator.AuthenticateAsync("alice@example.com", "wrong", Client);
            Assert.True((await authenticator.AuthenticateAsync("alice@example.com", "right-password", Client)).Succeeded);
        }
    }

    [Fact]
    public async Task Failed_login_is_logged_with_address_and_client_but_never_the_password()
    {
        await accounts.AddUserAsync("alice@example.com", "right-password");
        var authenticator = Create();
        await authenticator.AuthenticateAsync("alice@example.com", "Hunter2-wrong", Client);
        await authenticator.AuthenticateAsync("alice@example.com", "right-password", Client);

        Assert.Contains(log.Lines, l => l.Contains("[2000]", StringComparison.Ordinal)
            && l.Contains("alice@example.com", StringComparison.Ordinal) && l.Contains("192.0.2.20", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Lines, l => l.Contains("Hunter2", StringComparison.Ordinal) || l.Contains("right-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Raised_iteration_count_upgrades_the_hash_at_the_next_login()
    {
        await accounts.AddUserAsync("alice@example.com", "right-password");
        var stronger = new TernOptions { DataDirectory = accounts.DataDirectory };
        stronger.Auth.PasswordIterations = 2000;
        var hasher = new PasswordHasher(stronger);
        using var store = new SqliteAccountStore(stronger, hasher);
        Assert.NotNull(await store.VerifyPasswordAsync("alice@example.com", "right-password"));

        long before = hasher.Computations;
        Assert.NotNull(await store.VerifyPasswordAsync("alice@example.com", "right-password"));
        Assert.Equal(1, hasher.Computations - before); // verified only: no second upgrade
    }

    public void Dispose() => accounts.Dispose();
}

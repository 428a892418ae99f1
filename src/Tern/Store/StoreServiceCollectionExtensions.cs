using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;

namespace Tern.Store;

public static class StoreServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IMailStore"/> (the file-system backend).</summary>
    public static IServiceCollection AddTernStore(this IServiceCollection services, TernOptions options)
    {
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Configuration;
using Tern.Store.FileSystem;

namespace Tern.Store;

public static class StoreServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IMailStore"/> (the file-system backend).</summary>
    public static IServiceCollection AddTernStore(this IServiceCollection services, TernOptions options)
    {
        services.AddSingleton(sp => new FileSystemMailStore(options, sp.GetRequiredService<ILogger<FileSystemMailStore>>(), sp));
        services.AddSingleton<IMailStore>(sp => sp.GetRequiredService<FileSystemMailStore>());
        return services;
    }
}

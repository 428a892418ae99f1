using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;
using Tern.Net;

namespace Tern.Pop3.Server;

public static class Pop3ServiceCollectionExtensions
{
    /// <summary>Registers the Pop3 server as an <c>IMailProtocol</c>.</summary>
    public static IServiceCollection AddTernPop3(this IServiceCollection services, TernOptions options)
    {
        services.AddSingleton<Pop3Protocol>();
        services.AddSingleton<IMailProtocol>(sp => sp.GetRequiredService<Pop3Protocol>());
        return services;
    }
}

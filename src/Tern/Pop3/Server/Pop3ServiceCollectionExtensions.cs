using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;

namespace Tern.Pop3.Server;

public static class Pop3ServiceCollectionExtensions
{
    /// <summary>Registers the Pop3 server as an <c>IMailProtocol</c>.</summary>
    public static IServiceCollection AddTernPop3(this IServiceCollection services, TernOptions options)
    {
        return services;
    }
}

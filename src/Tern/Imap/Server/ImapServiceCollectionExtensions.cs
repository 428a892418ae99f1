using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;
using Tern.Net;

namespace Tern.Imap.Server;

public static class ImapServiceCollectionExtensions
{
    /// <summary>Registers the IMAP server as an <c>IMailProtocol</c>.</summary>
    public static IServiceCollection AddTernImap(this IServiceCollection services, TernOptions options)
    {
        services.AddSingleton<IMailProtocol, ImapProtocol>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;

namespace Tern.Imap.Server;

public static class ImapServiceCollectionExtensions
{
    /// <summary>Registers the Imap server as an <c>IMailProtocol</c>.</summary>
    public static IServiceCollection AddTernImap(this IServiceCollection services, TernOptions options)
    {
        return services;
    }
}

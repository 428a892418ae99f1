using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tern.Configuration;

namespace Tern.MailAuth;

public static class MailAuthServiceCollectionExtensions
{
    /// <summary>Registers SPF/DKIM/DMARC/ARC checking and DKIM signing (used by the SMTP server and local delivery).</summary>
    public static IServiceCollection AddTernMailAuth(this IServiceCollection services, TernOptions options)
    {
        services.TryAddSingleton<MailAuthDns>();
        services.TryAddSingleton<InboundAuthenticator>();
        services.TryAddSingleton<DkimSigningService>();
        services.TryAddSingleton<ArcSealer>();
        services.TryAddSingleton<MailAuthService>();
        return services;
    }
}

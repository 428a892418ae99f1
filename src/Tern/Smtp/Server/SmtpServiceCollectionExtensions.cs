using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;
using Tern.MailAuth;
using Tern.Net;

namespace Tern.Smtp.Server;

public static class SmtpServiceCollectionExtensions
{
    /// <summary>Registers the Smtp server as an <c>IMailProtocol</c>.</summary>
    public static IServiceCollection AddTernSmtp(this IServiceCollection services, TernOptions options)
    {
        services.AddTernMailAuth(options);
        services.AddSingleton<SmtpProtocol>();
        services.AddSingleton<IMailProtocol>(sp => sp.GetRequiredService<SmtpProtocol>());
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;
using Tern.Delivery.Dsn;

namespace Tern.Delivery.Remote;

public static class RemoteDeliveryServiceCollectionExtensions
{
    /// <summary>Registers the relay: MX routing, the SMTP client, DSNs and the queue runner for recipients in other
    /// domains (a hosted service). Needs the queue (<c>AddTernQueue</c>); uses <c>IAccountStore</c> when registered to
    /// tell local domains from remote ones and to find the postmaster.</summary>
    public static IServiceCollection AddTernRelay(this IServiceCollection services, TernOptions options)
    {
        services.AddSingleton<MxResolver>();
        services.AddSingleton<Tern.Dns.DnsLookup>();
        services.AddSingleton<TlsTrust>();
        services.AddSingleton<MtaStsFetcher>();
        services.AddSingleton<MtaStsResolver>();
        services.AddSingleton<SmtpConnector>();
        services.AddSingleton<DsnSender>();
        services.AddSingleton<RemoteDelivery>();
        services.AddHostedService<RelayRunner>();
        return services;
    }
}

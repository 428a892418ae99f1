using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;
using Tern.Delivery.Local;

namespace Tern.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>Registers the queue runners: local delivery into the store (<see cref="LocalDeliveryAgent"/>), and
    /// (from the relay work) remote delivery.</summary>
    public static IServiceCollection AddTernDelivery(this IServiceCollection services, TernOptions options)
    {
        services.AddHostedService<LocalDeliveryAgent>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;

namespace Tern.Delivery;

public static class DeliveryServiceCollectionExtensions
{
    /// <summary>Registers the queue runner: local delivery into the store, and (later) the relay.</summary>
    public static IServiceCollection AddTernDelivery(this IServiceCollection services, TernOptions options)
    {
        return services;
    }
}

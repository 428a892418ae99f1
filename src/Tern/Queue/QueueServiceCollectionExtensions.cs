using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tern.Configuration;

namespace Tern.Queue;

public static class QueueServiceCollectionExtensions
{
    /// <summary>Registers the durable .msg/.env queue (<see cref="QueueStore"/>) and, for the server only, the
    /// start-up recovery that deletes what an interrupted write left behind.</summary>
    public static IServiceCollection AddTernQueue(this IServiceCollection services, TernOptions options)
    {
        services.AddSingleton<QueueStore>();
        services.AddHostedService<QueueRecoveryService>();
        return services;
    }
}

/// <summary>Runs <see cref="QueueStore.RecoverAsync"/> when the server starts, before any listener accepts mail.</summary>
internal sealed class QueueRecoveryService(QueueStore queue) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => queue.RecoverAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

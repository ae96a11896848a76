using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Tsuzumi.Router.Routing;

public static class RoutingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the hybrid <see cref="ISpecialistRouter"/> (needs an <see cref="Tsuzumi.Catalog.ICatalogSource"/>) and
    /// builds its index when the host starts, so a broken model fails the start and the first query is not the slow one.
    /// </summary>
    public static IServiceCollection AddSpecialistRouting(this IServiceCollection services, RoutingTuning? tuning = null)
    {
        services.TryAddSingleton<ISentenceEmbedder, MiniLmSentenceEmbedder>();
        services.TryAddSingleton(tuning ?? new RoutingTuning());
        services.TryAddSingleton<HybridSpecialistRouter>();
        services.TryAddSingleton<ISpecialistRouter>(provider => provider.GetRequiredService<HybridSpecialistRouter>());
        services.AddHostedService<RoutingWarmup>();
        return services;
    }

    private sealed class RoutingWarmup(ISpecialistRouter router) : IHostedService
    {
        // Resolving the router builds the index; routing one query also loads the ONNX kernels.
        public Task StartAsync(CancellationToken cancellationToken)
        {
            router.Route("warm-up", Tsuzumi.Catalog.ConstellationCatalog.PublicTenant);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

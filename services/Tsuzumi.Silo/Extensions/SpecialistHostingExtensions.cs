using Tsuzumi.Catalog;
using Tsuzumi.Silo.Hosting;
using Tsuzumi.Silo.Placement;
using Tsuzumi.Silo.Specialists;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Tsuzumi.Silo.Extensions;

/// <summary>The parts of a specialist silo that do not depend on how Orleans is clustered (the test cluster uses them as they are).</summary>
public static class SpecialistHostingExtensions
{
    /// <summary>Catalog, model host (one engine per hosted base model), hot reload of adapters, metrics and the readiness check.</summary>
    public static IHostApplicationBuilder AddSpecialistHosting(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddConstellationCatalog(builder.Configuration, builder.Environment.ContentRootPath);
        services.AddSingleton(ModelHostOptions.Read(builder.Configuration));
        services.AddSingleton<ModelHost>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelHost>());
        services.AddHostedService<CatalogAdapterSync>();
        services.AddMetrics();
        services.AddSingleton<SpecialistMetrics>();
        services.AddHealthChecks().AddCheck<ModelHostReadinessCheck>("models", tags: [Microsoft.Extensions.Hosting.Extensions.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Advertises the base models this silo hosts in its silo metadata and places specialists by it. The ids are
    /// resolved now, from configuration and the catalog, so a name the catalog lacks stops the silo at startup.
    /// </summary>
    public static ISiloBuilder AddSpecialistPlacement(this ISiloBuilder silo, IConfiguration configuration, string contentRoot)
    {
        var catalogPath = CatalogServiceCollectionExtensions.ResolveCatalogPath(configuration, contentRoot);
        var hosted = ModelHostOptions.Read(configuration).ResolveHosted(CatalogLoader.Load(catalogPath, verifyFiles: false).Catalog);
        silo.UseSiloMetadata(new Dictionary<string, string> { [ModelHostOptions.MetadataKey] = string.Join(',', hosted) });
        silo.Services.AddPlacementDirector<BaseModelPlacement, BaseModelPlacementDirector>();
        return silo;
    }
}

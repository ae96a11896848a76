using Orleans.Configuration;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Extensions;

/// <summary>Everything the silo host registers; <c>Program.cs</c> only calls these.</summary>
public static class SiloServiceExtensions
{
    /// <param name="builder">The host.</param>
    /// <param name="ownBus">
    /// False when another part of the same host owns the MassTransit bus (the embedded constellation, where the router's
    /// bus carries the <c>AskSpecialist</c> consumer: <see cref="MessagingExtensions.AddSpecialistConsumer"/>).
    /// </param>
    public static IHostApplicationBuilder AddSiloServices(this IHostApplicationBuilder builder, bool ownBus = true)
    {
        builder.AddSpecialistHosting();
        builder.UseOrleans(silo =>
        {
            var configuration = builder.Configuration;
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = configuration["Orleans:ClusterId"] ?? "tsuzumi";
                options.ServiceId = configuration["Orleans:ServiceId"] ?? "tsuzumi";
            });
            // Orleans reads the "Orleans:Clustering" section itself (ProviderType=Redis with ConnectionString or
            // ConnectionName, as Aspire and Kubernetes set it); only without one does the silo cluster on localhost.
            if (configuration["Orleans:Clustering:ProviderType"] is not { Length: > 0 })
            {
                silo.UseLocalhostClustering(
                    siloPort: configuration.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
                    gatewayPort: configuration.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT));
            }
            silo.AddSpecialistPlacement(configuration, builder.Environment.ContentRootPath);
        });
        if (ownBus) builder.Services.AddSpecialistMessaging(builder.Configuration);
        return builder;
    }

    /// <summary><c>GET /silo/engines</c>: what each hosted base model's engine has done (batch sizes, queue).</summary>
    public static IEndpointRouteBuilder MapSiloEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/silo/engines", (ModelHost host) => host.Loaded.Select(model => new { model.Id, Statistics = model.Engine.Statistics }));
        return endpoints;
    }
}

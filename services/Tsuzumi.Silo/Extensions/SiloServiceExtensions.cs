using Orleans.Configuration;
using Tsuzumi.Silo.Hosting;

namespace Tsuzumi.Silo.Extensions;

/// <summary>Everything the silo host registers; <c>Program.cs</c> only calls these.</summary>
public static class SiloServiceExtensions
{
    public static IHostApplicationBuilder AddSiloServices(this IHostApplicationBuilder builder)
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
            if (configuration["Orleans:Clustering:Redis"] is { Length: > 0 } redis)
            {
                silo.UseRedisClustering(redis);
            }
            else
            {
                silo.UseLocalhostClustering(
                    siloPort: configuration.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
                    gatewayPort: configuration.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT));
            }
            silo.AddSpecialistPlacement(configuration, builder.Environment.ContentRootPath);
        });
        builder.Services.AddSpecialistMessaging(builder.Configuration);
        return builder;
    }

    /// <summary><c>GET /silo/engines</c>: what each hosted base model's engine has done (batch sizes, queue).</summary>
    public static IEndpointRouteBuilder MapSiloEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/silo/engines", (ModelHost host) => host.Loaded.Select(model => new { model.Id, Statistics = model.Engine.Statistics }));
        return endpoints;
    }
}
